"""Datasets that TensorFlow Datasets has already prepared (`tfds build`, `tfds.load`).

A prepared TFDS dataset is a folder `<name>/<version>/` holding `dataset_info.json`,
`features.json` and the examples' record files. It is read as it is, with no download and
without the dataset's builder code.
"""

import json
import os

import keras
import numpy as np

TFDS_EXTRA = "pip install 'keras-lord[tfds]' (tensorflow-datasets and tensorflow)"


def find_prepared(data_dir, name: str) -> str | None:
    """The folder of the newest prepared version of TFDS dataset `name` under `data_dir`.

    Args:
        data_dir: a TFDS data dir (`~/tensorflow_datasets`), the dataset's folder in it, or
            one version's folder.
        name: the TFDS name (`smallnorb`, `celeb_a`).

    Returns:
        The version folder (holding `dataset_info.json`), or `None` if there is none.

    Example:
    ```python
    find_prepared(os.path.expanduser("~/tensorflow_datasets"), "smallnorb")
    ```

    """
    data_dir = os.fspath(data_dir)
    if not os.path.isdir(data_dir):
        return None
    found = []
    # A version folder, the dataset's folder, or the data dir: at most two levels below.
    for depth_folders in (
        [data_dir],
        _subfolders(data_dir),
        [inner for outer in _subfolders(data_dir) for inner in _subfolders(outer)],
    ):
        for folder in depth_folders:
            info = _dataset_info(folder)
            if info is not None and info.get("name") == name:
                found.append((_version_key(info.get("version", "")), folder))
        if found:
            return max(found)[1]
    return None


def read_prepared(directory: str, decoded: tuple = (), verbose: bool = True) -> dict:
    """Every example of every split of a prepared TFDS dataset, as numpy columns.

    Image features are kept encoded (PNG or JPEG bytes) unless named in `decoded`, so that
    `decode_images` decodes them in parallel threads.

    Args:
        directory: a version folder, as `find_prepared` returns it.
        decoded: features to decode; the others come as TFDS stores them.
        verbose: a progress bar per split.

    Returns:
        `{split: {feature: array}}`; a nested feature (a dict) comes as `"outer/inner"`,
        encoded images as an object array of `bytes`.

    Raises:
        ImportError: if tensorflow-datasets is not installed (naming the extra).
        ValueError: if the folder cannot be read as a TFDS dataset.

    Example:
    ```python
    columns = read_prepared(find_prepared("~/tensorflow_datasets", "smallnorb"))
    columns["train"]["label_azimuth"]
    ```

    """
    try:
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise ImportError(
            f"Reading the TFDS dataset in {directory} needs tensorflow-datasets: {TFDS_EXTRA}."
        ) from error
    try:
        builder = tfds.builder_from_directory(directory)
        features = builder.info.features
        skipped = {
            name: tfds.decode.SkipDecoding()
            for name, feature in features.items()
            if isinstance(feature, tfds.features.Image) and name not in decoded
        }
        splits = {}
        for split, split_info in builder.info.splits.items():
            progress = (
                keras.utils.Progbar(split_info.num_examples, unit_name=f"{split} example")
                if verbose
                else None
            )
            rows = []
            dataset = builder.as_dataset(split=split, shuffle_files=False, decoders=skipped)
            for index, example in enumerate(tfds.as_numpy(dataset), start=1):
                rows.append(_flatten(example))
                if progress is not None and (index % 1000 == 0 or index == progress.target):
                    progress.update(index)
            splits[split] = {key: _column([row[key] for row in rows]) for key in rows[0]}
    except (ValueError, OSError, KeyError) as error:
        raise ValueError(f"{directory} cannot be read as a TFDS dataset ({error}).") from error
    except Exception as error:
        # TensorFlow reports a damaged record file with its own error classes.
        if type(error).__module__.startswith("tensorflow"):
            raise ValueError(
                f"{directory} cannot be read as a TFDS dataset ({type(error).__name__}: "
                f"{error}); prepare it again with `tfds build`."
            ) from error
        raise
    return splits


def _column(values):
    # Encoded images differ in length: an object array keeps each one's bytes whole.
    if values and isinstance(values[0], bytes):
        column = np.empty(len(values), object)
        column[:] = values
        return column
    return np.array(values)


def _flatten(example, prefix=""):
    flat = {}
    for key, value in example.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}/"))
        else:
            flat[prefix + key] = value
    return flat


def _subfolders(folder):
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    paths = [os.path.join(folder, name) for name in names]
    return [path for path in paths if os.path.isdir(path)]


def _dataset_info(folder):
    path = os.path.join(folder, "dataset_info.json")
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as file:
            return json.load(file)
    except (OSError, ValueError):
        return None


def _version_key(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))
