"""`keras-lord prepare`: a dataset's published files, split, written once and reused.

The output is `train.npz`, `test.npz` and `dataset.json`.
"""

import inspect
import json
import os

from keras_lord.datasets.splits import INFO_FILE, TEST_FILE, TRAIN_FILE
from keras_lord.utils.files import remove_partial_files


def _source_fingerprint(data_dir) -> dict:
    """The size and latest change of the files read, so a changed source is noticed."""
    data_dir = os.fspath(data_dir)
    paths = [data_dir]
    if os.path.isdir(data_dir):
        paths = [os.path.join(root, name) for root, _, names in os.walk(data_dir) for name in names]
    stats = [os.stat(path) for path in paths]
    return {
        "files": len(stats),
        "bytes": sum(stat.st_size for stat in stats),
        "latest_change_ns": max((stat.st_mtime_ns for stat in stats), default=0),
    }


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

    A second call with the same request and unchanged source files returns at once.

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
        ValueError: for an unknown name or option.
        PreparedOtherwiseError: (a `ValueError`) for a folder prepared from other files or
            options, without `force`.
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
    request = {
        "name": name,
        "data_dir": os.path.abspath(data_dir),
        "options": options,
        "source_files": _source_fingerprint(data_dir),
    }
    # Temporary files of a preparation that a kill cut off.
    remove_partial_files(output_dir)
    info_path = os.path.join(output_dir, INFO_FILE)
    if os.path.exists(info_path):
        try:
            with open(info_path) as file:
                previous = json.load(file).get("request")
        except (OSError, ValueError):
            previous = None
        if previous == request and all(
            os.path.exists(os.path.join(output_dir, part)) for part in (TRAIN_FILE, TEST_FILE)
        ):
            if verbose:
                print(f"{output_dir} already holds {name} prepared this way; nothing to do.")
            with open(info_path) as file:
                return json.load(file)
        if not force:
            raise PreparedOtherwiseError(
                f"{output_dir} holds a dataset prepared from other files or options; pass "
                "--force (force=True) to replace it, or choose another --out."
            )
    splits = loader(data_dir, verbose=verbose, **options)
    splits.info["request"] = request
    return splits.write(output_dir)
