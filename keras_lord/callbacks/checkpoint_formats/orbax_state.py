"""Checkpoints written with Orbax by every process, each its own part of every array."""

import glob
import os
import shutil

import keras

from keras_lord import backend
from keras_lord.callbacks.checkpoint_formats.base import CheckpointFormat
from keras_lord.utils.model_state import state_variables


class OrbaxState(CheckpointFormat):
    """Each epoch's state as one Orbax checkpoint folder, `epoch_XXXX.orbax`.

    Every process writes the parts of the arrays it holds, so tables whose rows are split
    over the devices of several hosts are never gathered into one; Orbax writes into a
    temporary folder and renames it when every process has finished. Read back, each array
    is laid out as the model's variable is now: a checkpoint of 2 processes resumes on 1,
    or on another split of the same devices. Needs the JAX backend and `orbax-checkpoint`
    (`pip install keras-lord[jax]`), and a folder that every process sees at the same path.
    """

    name = "orbax"
    pattern = "epoch_*.orbax"

    def check_usable(self) -> None:
        """Refuses a backend other than JAX, or a missing `orbax-checkpoint`.

        Raises:
            ValueError: naming the way out.

        """
        # Outside JAX this raises, naming the weights file as the way out.
        backend.checkpoint_restore_targets([])
        _orbax()

    def write(self, model: keras.Model, path: str) -> None:
        values = {_key(index): v.value for index, v in enumerate(state_variables(model))}
        # Orbax takes absolute paths only; a run folder is often given relative to the cwd.
        _orbax().save(os.path.abspath(path), values, overwrite=True)

    def read(self, model: keras.Model, path: str) -> None:
        orbax = _orbax()
        path = os.path.abspath(path)
        variables = state_variables(model)
        saved = orbax.metadata(path).metadata
        expected = {_key(index): (tuple(v.shape), v.dtype) for index, v in enumerate(variables)}
        found = {key: (tuple(leaf.shape), str(leaf.dtype)) for key, leaf in saved.items()}
        if found != expected:
            raise ValueError(
                f"it holds {len(found)} arrays, this model {len(expected)}"
                + _first_difference(found, expected)
            )
        targets = backend.checkpoint_restore_targets(variables)
        loaded = orbax.load(path, {_key(i): target for i, target in enumerate(targets)})
        for index, variable in enumerate(variables):
            variable.assign(loaded[_key(index)])

    def remove(self, path: str) -> None:
        shutil.rmtree(path)

    def partial_entries(self, directory: str) -> list:
        # Orbax writes into `<name>.orbax-checkpoint-tmp-<time>` and renames it when done.
        pattern = os.path.join(directory, self.pattern + ".orbax-checkpoint-tmp*")
        return sorted(glob.glob(pattern))


def _key(index: int) -> str:
    # By position, as in a weights file: Keras numbers the names of unnamed layers and
    # optimisers per process (`seed_generator_1`), so paths differ between two builds.
    return f"v{index:05d}"


def _first_difference(found: dict, expected: dict) -> str:
    for key in sorted(set(found) | set(expected)):
        if found.get(key) != expected.get(key):
            return (
                f"; array {key} is {found.get(key, 'missing')} there, "
                f"{expected.get(key, 'missing')} here"
            )
    return ""


def _orbax():
    try:
        from orbax.checkpoint import v1
    except ImportError as error:
        raise ValueError(
            "Orbax checkpoints need the `orbax-checkpoint` package: "
            "`pip install keras-lord[jax]`, or `file_format='weights_h5'` on one process."
        ) from error
    return v1
