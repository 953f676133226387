import glob
import json
import os
import time

import keras

from keras_lord.backend.keras_compat import set_initial_epoch, weights_file_bytes
from keras_lord.utils.files import atomic_path, remove_partial_files, write_json
from keras_lord.version import __version__

STATE_FILE = "state.json"


class ResumableCheckpoint(keras.callbacks.Callback):
    """Crash-safe training state: weights, optimiser and epoch, restored by the next `fit`.

    At the end of every epoch the model's weights and optimiser state go to a new
    `epoch_XXXX.weights.h5`, written under a temporary name and renamed into place; then
    `state.json`, which names the latest complete file, is replaced the same way; older files
    are removed after that. A crash at any moment therefore leaves a consistent checkpoint.
    At the start of `fit` the latest one is loaded and training resumes at the next epoch,
    so finished epochs are never redone or lost. Unlike `keras.callbacks.BackupAndRestore`
    it keeps its files when training ends, so a finished run is not retrained by mistake.

    The weights file follows the model's layer structure. A checkpoint written by a
    keras-lord version whose models are built from other layers cannot be resumed by this
    one: `state.json` records the version, and the error names it.

    Writing one costs time (a `small` trainer's state is about 90 MB, most of it the frozen
    VGG16; docs/reliability.md): where epochs take seconds, `min_interval_seconds`
    writes one only when that long has passed since the last, and always after the last
    epoch of a `fit`. A crash then loses at most that much training; resuming is as exact
    as with a checkpoint every epoch.

    Args:
        directory: folder of the checkpoint files.
        min_interval_seconds: least time between two checkpoints; 0 writes one after every
            epoch.

    Temporary files of a write that a crash cut off are removed at the start of `fit`.

    Raises:
        ValueError: at the start of `fit`, under a `keras.distribution` of several processes.
        FileNotFoundError: at the start of `fit`, if `state.json` names a missing file.
        ValueError: at the start of `fit`, if `state.json` is not one keras-lord wrote, or
            the checkpoint's weights do not fit the model.

    Example:
    ```python
    checkpoint = keras_lord.callbacks.ResumableCheckpoint("run/checkpoint")
    trainer.fit(data.inputs(), epochs=200, callbacks=[checkpoint])  # rerun after a crash
    ```

    """

    def __init__(self, directory: str | os.PathLike, min_interval_seconds: float = 0.0):
        super().__init__()
        if not min_interval_seconds >= 0:
            raise ValueError(
                f"`min_interval_seconds` must be 0 or more; got {min_interval_seconds!r}."
            )
        self.directory = os.fspath(directory)
        self.min_interval_seconds = float(min_interval_seconds)
        self._last_write = None
        self._epochs_in_fit = None

    @property
    def state_path(self) -> str:
        """Path of the JSON file naming the latest checkpoint."""
        return os.path.join(self.directory, STATE_FILE)

    def completed_epochs(self) -> int:
        """Epochs finished according to the checkpoint on disk (0 if there is none).

        Raises:
            ValueError: if `state.json` is not one keras-lord wrote.

        """
        state = self._read_state()
        return 0 if state is None else int(state["epoch"])

    def _read_state(self):
        if not os.path.exists(self.state_path):
            return None
        try:
            with open(self.state_path) as file:
                state = json.load(file)
            missing = [key for key in ("epoch", "weights") if key not in state]
            if missing:
                raise KeyError(f"no {missing}")
            int(state["epoch"])
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"{self.state_path} is not a checkpoint state keras-lord wrote ({error}); "
                f"remove {self.directory} to start over."
            ) from error
        return state

    def on_train_begin(self, logs=None):
        distribution = keras.distribution.distribution()
        if distribution is not None and distribution.num_processes > 1:
            # Keras' weights files are written from arrays each process holds whole; across
            # processes every one would write the same files, and sharded tables would not
            # convert at all.
            raise ValueError(
                f"ResumableCheckpoint writes from one process; this distribution has "
                f"{distribution.num_processes}. Train on one host (any number of its "
                "devices), or without this callback."
            )
        self._last_write = time.monotonic()
        self._epochs_in_fit = self.params.get("epochs")
        # A write that a crash cut off leaves its temporary file; the state never names it.
        remove_partial_files(self.directory)
        state = self._read_state()
        if state is None:
            return
        weights_path = os.path.join(self.directory, state["weights"])
        if not os.path.exists(weights_path):
            raise FileNotFoundError(
                f"{self.state_path} names {weights_path}, which is missing; remove the "
                "checkpoint folder to start over."
            )
        optimizer = self.model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        try:
            self.model.load_weights(weights_path)
        except ValueError as error:
            written_by = state.get("keras_lord_version", "an earlier version (it recorded none)")
            raise ValueError(
                f"The checkpoint {weights_path} does not fit this model: it was written by "
                f"keras-lord {written_by} (this is {__version__}) or for a model of another "
                "configuration. Resume it with the version and settings that wrote it, or "
                f"remove {self.directory} to start over. Keras said: {error}"
            ) from error
        set_initial_epoch(self.model, int(state["epoch"]))

    def on_train_end(self, logs=None):
        # Keras keeps `_initial_epoch` on the model; a later `fit` (e.g. of stage 2) would
        # otherwise start at this run's last epoch.
        set_initial_epoch(self.model, None)

    def on_epoch_end(self, epoch, logs=None):
        last = self._epochs_in_fit is not None and epoch + 1 >= self._epochs_in_fit
        waited = time.monotonic() - (self._last_write or 0.0)
        if not last and waited < self.min_interval_seconds:
            return
        self._write(epoch, logs)
        self._last_write = time.monotonic()

    def _write(self, epoch, logs):
        name = f"epoch_{epoch + 1:04d}.weights.h5"
        content = weights_file_bytes(self.model)
        try:
            os.makedirs(self.directory, exist_ok=True)
            with atomic_path(os.path.join(self.directory, name), suffix=".weights.h5") as path:
                with open(path, "wb") as file:
                    file.write(content)
        except OSError as error:
            kept = self.completed_epochs()
            raise type(error)(
                error.errno,
                f"Could not write the checkpoint of epoch {epoch + 1} to {self.directory} "
                f"({error.strerror or error}). The last complete checkpoint "
                f"({f'epoch {kept}' if kept else 'none yet'}) is kept: free some space or fix "
                "the folder's permissions, and run again to resume.",
            ) from error
        state = {
            "epoch": epoch + 1,
            "weights": name,
            "keras_lord_version": __version__,
            "logs": _plain(logs),
        }
        write_json(self.state_path, state, indent=None)
        for old in glob.glob(os.path.join(self.directory, "epoch_*.weights.h5")):
            if os.path.basename(old) != name:
                os.remove(old)


def _plain(logs):
    return {key: float(value) for key, value in (logs or {}).items()}
