"""`keras-lord prepare`: a dataset's published files, split, written once and reused.

The output is `train.npz`, `test.npz` and `dataset.json`.
"""

import hashlib
import inspect
import json
import os

from keras_lord.data.lord_data import PREPARATION_MARK
from keras_lord.datasets.splits import (
    INFO_FILE,
    PREPARED_FILES,
    TEST_FILE,
    TRAIN_FILE,
    file_stamp,
)
from keras_lord.utils.files import remove_partial_files
from keras_lord.utils.run_lock import LOCK_FILE, RunLock


def _files_read(name: str, data_dir, options: dict) -> list:
    """Every file the loader reads: those `FILES_READ` lists, else all under `data_dir`."""
    from keras_lord.datasets import FILES_READ

    lister = FILES_READ.get(name)
    if lister is not None:
        taken = inspect.signature(lister).parameters
        return lister(data_dir, **{key: value for key, value in options.items() if key in taken})
    data_dir = os.fspath(data_dir)
    if not os.path.isdir(data_dir):
        return [data_dir]
    return [os.path.join(root, name) for root, _, names in os.walk(data_dir) for name in names]


def _source_fingerprint(paths: list) -> dict:
    """The count, size and changes of the files read, so that any changed file is noticed."""
    digest = hashlib.sha256()
    total, latest = 0, 0
    for path in sorted(os.path.abspath(path) for path in paths):
        # A missing listed file is part of what was read (or skipped) too.
        stamp = file_stamp(path) if os.path.exists(path) else {"bytes": -1, "modified_ns": 0}
        digest.update(f"{path}\0{stamp['bytes']}\0{stamp['modified_ns']}\n".encode())
        total += max(stamp["bytes"], 0)
        latest = max(latest, stamp["modified_ns"])
    return {
        "files": len(paths),
        "bytes": total,
        "latest_change_ns": latest,
        "sha256": digest.hexdigest(),
    }


def _inside(path, folder) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _check_output_place(data_dir, output_dir, paths: list) -> None:
    """Refuses an output folder inside the data it reads, or one that would overwrite it."""
    if os.path.isdir(data_dir) and _inside(output_dir, data_dir):
        raise ValueError(
            f"--out {output_dir} is inside --data-dir {data_dir}: the prepared files would "
            "become part of the data the next time it is read. Choose an --out outside it."
        )
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise ValueError(
            f"--out {output_dir} is a file, not a folder; choose a folder for train.npz, "
            "test.npz and dataset.json."
        )
    written = {
        os.path.realpath(os.path.join(output_dir, name)) for name in PREPARED_FILES + (LOCK_FILE,)
    }
    overwritten = sorted(path for path in paths if os.path.realpath(path) in written)
    if overwritten:
        raise ValueError(
            f"Preparing into {output_dir} would overwrite {overwritten[0]}, which it reads; "
            "choose another --out."
        )


def _read_info(info_path):
    try:
        with open(info_path) as file:
            info = json.load(file)
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and "request" in info else None


class PreparedOtherwiseError(ValueError):
    """The output folder holds a dataset prepared from other files or options.

    `prepare_dataset(..., force=True)` replaces it; the files there are keras-lord's own.
    """


def prepare_dataset(
    name: str,
    data_dir: str | os.PathLike,
    output_dir: str | os.PathLike,
    force: bool = False,
    verbose: bool = True,
    **options,
) -> dict:
    """Prepares a dataset once: reads the publisher's files, splits them, writes the result.

    A second call with the same request and unchanged source files returns at once. The
    preparation is one transaction under a lock on `output_dir` (`DatasetSplits.write`): a
    kill leaves the old complete result or a marked, unfinished one that the next call
    prepares again, and a second preparation of the same folder at once is refused.

    Args:
        name: a key of `keras_lord.datasets.LOADERS`.
        data_dir: the downloaded files (folder or archive); for `csv`, the CSV file.
        output_dir: where `train.npz`, `test.npz` and `dataset.json` go.
        force: replace an output folder prepared from another request.
        verbose: progress output.
        **options: the loader's arguments (`size`, `seed`, ...).

    Returns:
        The info written to `dataset.json`.

    Raises:
        ValueError: for an unknown name or option, or an `output_dir` inside `data_dir` or
            in place of a file it reads.
        PreparedOtherwiseError: (a `ValueError`) for a folder prepared from other files or
            options (or whose files changed), without `force`.
        FileExistsError: if `output_dir` holds `train.npz`, `test.npz` or `dataset.json`
            that no preparation wrote (with or without `force`).
        RunLockedError: while another process prepares (or trains) in `output_dir`.
        DatasetFileError: if the dataset's files are missing.

    Example:
    ```python
    keras_lord.datasets.prepare.prepare_dataset("cars3d", "downloads/cars", "data/cars3d")
    ```

    """
    from keras_lord.datasets import LOADERS

    if name not in LOADERS:
        raise ValueError(f"Unknown dataset {name!r}; choose from {', '.join(sorted(LOADERS))}.")
    loader = LOADERS[name]
    accepted = set(inspect.signature(loader).parameters) - {"verbose"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        takes = sorted(accepted - {"data_dir", "directory", "csv_path"})
        raise ValueError(f"{name} takes no option {unknown}; it takes {takes}.")
    if not os.path.exists(data_dir):
        raise FileNotFoundError(f"{data_dir} does not exist; pass the downloaded {name} files.")
    paths = _files_read(name, data_dir, options)
    _check_output_place(data_dir, output_dir, paths)
    request = {
        "name": name,
        "data_dir": os.path.abspath(data_dir),
        "options": options,
        "source_files": _source_fingerprint(paths),
    }
    created = not os.path.exists(output_dir)
    try:
        with RunLock(output_dir):
            return _prepare_locked(name, data_dir, output_dir, request, force, verbose, options)
    finally:
        # A preparation that failed before writing anything leaves no empty folder behind.
        if created and os.path.isdir(output_dir) and not os.listdir(output_dir):
            os.rmdir(output_dir)


def _prepare_locked(name, data_dir, output_dir, request, force, verbose, options) -> dict:
    from keras_lord.datasets import LOADERS

    # Temporary files of a preparation that a kill cut off.
    remove_partial_files(output_dir)
    unfinished = os.path.exists(os.path.join(output_dir, PREPARATION_MARK))
    info_path = os.path.join(output_dir, INFO_FILE)
    info = None if unfinished else _read_info(info_path)
    present = [
        part
        for part in (TRAIN_FILE, TEST_FILE, INFO_FILE)
        if os.path.exists(os.path.join(output_dir, part))
    ]
    if present and not unfinished and info is None:
        raise FileExistsError(
            f"{output_dir} holds {', '.join(present)} that no keras-lord preparation wrote "
            "(there is no dataset.json of one); keras-lord replaces only its own files, even "
            "with --force. Move them, or choose another --out."
        )
    if unfinished and verbose:
        print(f"{output_dir} holds a preparation that was stopped part-way; preparing again.")
    if info is not None:
        stamps = info.get("files", {})
        unchanged = all(
            os.path.exists(os.path.join(output_dir, part))
            and stamps.get(part) == file_stamp(os.path.join(output_dir, part))
            for part in (TRAIN_FILE, TEST_FILE)
        )
        if info["request"] == request and unchanged:
            if verbose:
                print(f"{output_dir} already holds {name} prepared this way; nothing to do.")
            return info
        if not force:
            raise PreparedOtherwiseError(
                f"{output_dir} holds a dataset prepared from other files or options (or its "
                "files changed since); pass --force (force=True) to replace it, or choose "
                "another --out."
            )
    splits = LOADERS[name](data_dir, verbose=verbose, **options)
    splits.info["request"] = request
    return splits.write(output_dir)
