"""Checkpoints as Keras weights files, written by one process."""

import os

import keras

from keras_lord.backend.keras_compat import weights_file_bytes
from keras_lord.callbacks.checkpoint_formats.base import CheckpointFormat, several_processes
from keras_lord.utils.files import atomic_path


class WeightsFile(CheckpointFormat):
    """Each epoch's state as one `epoch_XXXX.weights.h5`, the file `model.save_weights` writes.

    The file is built in memory and written under a temporary name, then renamed into
    place. Keras writes it from arrays each process holds whole, so it serves training in
    one process (on any number of its devices), and resumes on any other layout.
    """

    name = "weights_h5"
    pattern = "epoch_*.weights.h5"

    def check_usable(self) -> None:
        """Refuses a distribution of several processes, each of which would write the file.

        Raises:
            ValueError: under a `keras.distribution` of several processes.

        """
        if several_processes():
            raise ValueError(
                f"Weights-file checkpoints are written from one process; this distribution "
                f"has {keras.distribution.distribution().num_processes}. Use "
                "`file_format='orbax'` (what `'auto'` picks there)."
            )

    def write(self, model: keras.Model, path: str) -> None:
        content = weights_file_bytes(model)
        with atomic_path(path, suffix=".weights.h5") as temporary:
            with open(temporary, "wb") as file:
                file.write(content)

    def read(self, model: keras.Model, path: str) -> None:
        model.load_weights(path)

    def remove(self, path: str) -> None:
        os.remove(path)
