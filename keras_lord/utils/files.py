"""Atomic file writes: a crash leaves either the old file or the new one, never half."""

import contextlib
import json
import os
import re
import tempfile

from keras_lord import backend
from keras_lord.utils.model_state import state_variables

# What `atomic_path` names its temporary files: ".<name>.<8 random characters>.partial<suffix>".
_PARTIAL_FILE = re.compile(r"^\..+\.[a-z0-9_]{8}\.partial(\.[A-Za-z0-9.]+)?$")


@contextlib.contextmanager
def atomic_path(path, suffix: str = ""):
    """Yields a temporary path next to `path`; renames it onto `path` on success.

    Args:
        path: the final destination.
        suffix: ending the temporary name must have (some writers check extensions,
            e.g. `".keras"` or `".weights.h5"`).

    Yields:
        A temporary file path in the same directory (so the rename is atomic).

    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix="." + os.path.basename(path) + ".", suffix=".partial" + suffix, dir=directory
    )
    os.close(handle)
    os.remove(temporary)
    try:
        yield temporary
        # On disk before the rename, so that a power cut cannot leave the new name pointing
        # at a file whose content never reached the disk.
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def atomic_keras_save(save, filepath, overwrite: bool = True, **kwargs) -> None:
    """Runs a Keras `save` into a temporary `.keras` file and renames it into place.

    Under a `keras.distribution` of several processes (JAX) every process calls it and the
    first writes the file, tables split over their devices made whole for it.

    Args:
        save: the bound `keras.Model.save` to run (its model's variables are saved).
        filepath: destination ending in `.keras`.
        overwrite: replace an existing file.
        **kwargs: passed to `save`.

    Raises:
        FileExistsError: if the file exists and `overwrite` is false.
        ValueError: if the path does not end in `.keras`.

    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"Save LORD models as `.keras` files; got {filepath!r}.")
    if os.path.exists(filepath) and not overwrite:
        raise FileExistsError(f"{filepath} exists; pass overwrite=True to replace it.")
    # Under several processes (JAX) every one takes part in making split tables whole; the
    # first writes the file, and none goes on before it is there.
    with backend.held_whole(state_variables(save.__self__)):
        if backend.process_index() == 0:
            with atomic_path(filepath, suffix=".keras") as temporary:
                save(temporary, **kwargs)
    backend.wait_for_processes(f"keras-lord save {filepath}")


def write_json(path, content, indent: int | None = 2) -> None:
    """Writes JSON atomically: a crash or an unserialisable value leaves no partial file.

    Args:
        path: destination `.json`.
        content: a JSON-serialisable value.
        indent: indentation, as in `json.dump`.

    Raises:
        TypeError: if `content` is not JSON-serialisable (the old file, if any, is kept).

    """
    with atomic_path(path, suffix=".json") as temporary:
        with open(temporary, "w") as file:
            json.dump(content, file, indent=indent)


def remove_partial_files(directory, of: tuple | list | None = None) -> list:
    """Removes the temporary files that writes killed mid-way left in a folder.

    Only files named as `atomic_path` names its temporary files are touched.

    Args:
        directory: the folder (a missing folder has none).
        of: only the temporary files of writes to these file names (default: all).

    Returns:
        The names of the removed files.

    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        return []
    removed = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        ours = of is None or any(name.startswith(f".{target}.") for target in of)
        if ours and _PARTIAL_FILE.match(name) and os.path.isfile(path):
            os.remove(path)
            removed.append(name)
    return removed
