"""What a `ResumableCheckpoint` writes each epoch's training state as."""

import glob
import os

import keras


def several_processes() -> bool:
    """Whether the `keras.distribution` set trains over several processes."""
    distribution = keras.distribution.distribution()
    return distribution is not None and distribution.num_processes > 1


class CheckpointFormat:
    """One way of writing and reading a model's whole training state in a folder.

    Each checkpoint is one entry of the folder (a file or a folder), named by its epoch;
    `ResumableCheckpoint` names the latest complete one in its `state.json`.

    Subclasses set `name` (recorded in `state.json`) and `pattern` (the entries they
    write, for removing the older ones), and implement `write`, `read` and `remove`, and
    `check_usable` where they cannot always run.
    """

    name: str
    pattern: str

    def check_usable(self) -> None:
        """Raises, before any training, where this format cannot run.

        Raises:
            ValueError: naming the format that can.

        """

    def entry_name(self, epoch: int) -> str:
        """The name of the checkpoint of `epoch` (counted from 1) in its folder."""
        return self.pattern.replace("*", f"{epoch:04d}")

    def write(self, model: keras.Model, path: str) -> None:
        """Writes the model's weights and optimiser state to `path`, whole or not at all.

        Every process training the model calls it.

        Args:
            model: a built model.
            path: the entry to write.

        """
        raise NotImplementedError

    def read(self, model: keras.Model, path: str) -> None:
        """Loads what `write` wrote at `path` into the model.

        Args:
            model: a model of the configuration that wrote it.
            path: the entry.

        Raises:
            ValueError: if it does not fit the model.

        """
        raise NotImplementedError

    def remove(self, path: str) -> None:
        """Removes one checkpoint this format wrote (an older one, once a newer is named)."""
        raise NotImplementedError

    def entries(self, directory: str) -> list:
        """The checkpoints of this format in `directory`."""
        return sorted(glob.glob(os.path.join(directory, self.pattern)))

    def partial_entries(self, directory: str) -> list:
        """What writes of this format that a crash cut off left in `directory`.

        Returns:
            `[]` here: formats that write through `keras_lord.utils.files.atomic_path`
            leave files that `remove_partial_files` finds.

        """
        return []
