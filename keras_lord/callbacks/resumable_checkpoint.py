import json
import os
import time

import keras

from keras_lord import backend
from keras_lord.backend.keras_compat import set_initial_epoch
from keras_lord.callbacks.checkpoint_formats import (
    CHECKPOINT_FORMATS,
    WeightsFile,
    checkpoint_format,
)
from keras_lord.utils.files import remove_partial_files, write_json
from keras_lord.version import __version__

STATE_FILE = "state.json"


class ResumableCheckpoint(keras.callbacks.Callback):
    """Crash-safe training state: weights, optimiser and epoch, restored by the next `fit`.

    At the end of every epoch the model's weights and optimiser state go to a new
    checkpoint, written under a temporary name and renamed into place; then `state.json`,
    which names the latest complete checkpoint, is replaced the same way; older ones are
    removed after that. A crash at any moment therefore leaves a consistent checkpoint.
    At the start of `fit` the latest one is loaded and training resumes at the next epoch,
    so finished epochs are never redone or lost. Unlike `keras.callbacks.BackupAndRestore`
    it keeps its files when training ends, so a finished run is not retrained by mistake.

    Two formats (`keras_lord.callbacks.checkpoint_formats`): `"weights_h5"`, one
    `epoch_XXXX.weights.h5` as `model.save_weights` writes it, from one process; and
    `"orbax"` (JAX), one `epoch_XXXX.orbax` folder that every process writes its part of
    with Orbax, for a `keras.distribution` over several processes or hosts, whose split
    tables no process holds whole. `"auto"` picks Orbax under several processes. Either
    resumes on another layout of devices (and Orbax on another number of processes); the
    format that wrote a checkpoint reads it. Under several processes the folder must be
    one that all of them see at the same path (a shared file system): the first process
    writes `state.json`, every process reads it, and they refuse to start if they read
    different epochs. When a process dies, the others stop with an error once JAX's
    coordination service misses its heartbeats; started again, all resume from the last
    checkpoint.

    The checkpoint follows the model's layer structure. One written by a keras-lord
    version whose models are built from other layers cannot be resumed by this one:
    `state.json` records the version, and the error names it.

    Writing one costs time (a `small` trainer's state is about 90 MB, most of it the frozen
    VGG16; docs/reliability.md): where epochs take seconds, `min_interval_seconds`
    writes one only when that long has passed since the last, and always after the last
    epoch of a `fit`. A crash then loses at most that much training; resuming is as exact
    as with a checkpoint every epoch.

    Args:
        directory: folder of the checkpoint files.
        min_interval_seconds: least time between two checkpoints; 0 writes one after every
            epoch.
        file_format: `"auto"`, `"weights_h5"` or `"orbax"`.

    Temporary files of a write that a crash cut off are removed at the start of `fit`.

    Raises:
        ValueError: for an unknown `file_format`, or one that cannot run here (Orbax
            outside JAX, or without `orbax-checkpoint`; weights files under several
            processes, also checked at the start of `fit`).
        FileNotFoundError: at the start of `fit`, if `state.json` names a missing file.
        ValueError: at the start of `fit`, if `state.json` is not one keras-lord wrote,
            the checkpoint does not fit the model, or processes read different epochs.

    Example:
    ```python
    checkpoint = keras_lord.callbacks.ResumableCheckpoint("run/checkpoint")
    trainer.fit(data.inputs(), epochs=200, callbacks=[checkpoint])  # rerun after a crash
    ```

    """

    def __init__(
        self,
        directory: str | os.PathLike,
        min_interval_seconds: float = 0.0,
        file_format: str = "auto",
    ):
        super().__init__()
        if not min_interval_seconds >= 0:
            raise ValueError(
                f"`min_interval_seconds` must be 0 or more; got {min_interval_seconds!r}."
            )
        if file_format != "auto":
            checkpoint_format(file_format).check_usable()
        self.directory = os.fspath(directory)
        self.min_interval_seconds = float(min_interval_seconds)
        self.file_format = file_format
        self._format = None
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
            # Checkpoints of keras-lord 0.2 and before name a weights file and no format.
            if state.setdefault("format", WeightsFile.name) not in CHECKPOINT_FORMATS:
                raise KeyError(f"format {state['format']!r}, which this version cannot read")
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"{self.state_path} is not a checkpoint state keras-lord wrote ({error}); "
                f"remove {self.directory} to start over."
            ) from error
        return state

    def on_train_begin(self, logs=None):
        self._format = checkpoint_format(self.file_format)
        self._format.check_usable()
        self._last_write = time.monotonic()
        self._epochs_in_fit = self.params.get("epochs")
        if backend.process_index() == 0:
            # A write that a crash cut off leaves its temporary file; the state never names it.
            remove_partial_files(self.directory)
            for format_ in CHECKPOINT_FORMATS.values():
                for partial in format_.partial_entries(self.directory):
                    format_.remove(partial)
        state = self._read_state()
        self._check_processes_agree(0 if state is None else int(state["epoch"]))
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
            CHECKPOINT_FORMATS[state["format"]].read(self.model, weights_path)
        except ValueError as error:
            written_by = state.get("keras_lord_version", "an earlier version (it recorded none)")
            raise ValueError(
                f"The checkpoint {weights_path} does not fit this model: it was written by "
                f"keras-lord {written_by} (this is {__version__}) or for a model of another "
                "configuration. Resume it with the version and settings that wrote it, or "
                f"remove {self.directory} to start over. Reading it said: {error}"
            ) from error
        set_initial_epoch(self.model, int(state["epoch"]))

    def _check_processes_agree(self, epoch):
        epochs = backend.values_of_processes(epoch)
        if len(set(epochs)) > 1:
            raise ValueError(
                f"The processes read different checkpoints in {self.directory} (epochs "
                f"{epochs}, by process): it must be one folder that every process sees at "
                "the same path, on a file system all hosts share."
            )

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
        name = self._format.entry_name(epoch + 1)
        try:
            os.makedirs(self.directory, exist_ok=True)
            self._format.write(self.model, os.path.join(self.directory, name))
        except TimeoutError:
            # Another process stopped while they wrote together; its own error says why.
            raise
        except OSError as error:
            kept = self.completed_epochs()
            raise type(error)(
                error.errno,
                f"Could not write the checkpoint of epoch {epoch + 1} to {self.directory} "
                f"({error.strerror or error}). The last complete checkpoint "
                f"({f'epoch {kept}' if kept else 'none yet'}) is kept: free some space or fix "
                "the folder's permissions, and run again to resume.",
            ) from error
        if backend.process_index() == 0:
            state = {
                "epoch": epoch + 1,
                "weights": name,
                "format": self._format.name,
                "keras_lord_version": __version__,
                "logs": _plain(logs),
            }
            write_json(self.state_path, state, indent=None)
            for format_ in CHECKPOINT_FORMATS.values():
                for old in format_.entries(self.directory):
                    if os.path.basename(old) != name:
                        format_.remove(old)
        # No process runs ahead of the state that names what they wrote together.
        backend.wait_for_processes(f"keras-lord checkpoint {name}")


def _plain(logs):
    return {key: float(value) for key, value in (logs or {}).items()}
