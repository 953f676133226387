"""SmallNORB (LeCun et al., 2004) and SmallNORB-Poses.

50 toys in 5 categories, photographed by two cameras at 9 elevations, 18 azimuths and 6
lightings; 96x96 grayscale.
"""

import os

import numpy as np

from keras_lord.datasets.norb_format import read_norb_matrix
from keras_lord.datasets.resizing import resize_images
from keras_lord.datasets.sources import DatasetFileError, DatasetSource
from keras_lord.datasets.splits import DatasetSplits, held_out_rows, split_by_rows
from keras_lord.datasets.tfds_source import find_prepared, read_prepared

PUBLISHED_AT = "https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/"
PARTS = {
    "training": "smallnorb-5x46789x9x18x6x2x96x96-training",
    "testing": "smallnorb-5x01235x9x18x6x2x96x96-testing",
}
# Factor sizes: category, instance, elevation, azimuth (the files hold 0, 2, ..., 34),
# lighting, camera.
FACTORS = {"category": 5, "instance": 10, "elevation": 9, "azimuth": 18, "lighting": 6}


def read_smallnorb(data_dir: str | os.PathLike, verbose: bool = True) -> dict:
    """Reads both official parts of SmallNORB, both cameras.

    Args:
        data_dir: a folder (or archive) holding the six `smallnorb-*-{dat,cat,info}.mat`
            files, gzipped (as published) or not; or TFDS's prepared `smallnorb` (a TFDS
            data dir, or its `smallnorb/` or `smallnorb/<version>/` folder).
        verbose: progress output.

    Returns:
        `{"images": (N, 96, 96) uint8, "part": (N,) 0 training / 1 testing, "category",
        "instance", "elevation", "azimuth" (0..17), "lighting", "camera"}`, one image per
        camera, N = 2 x 48,600 = 97,200 for the whole set; and `"source"`, what was read.

    Raises:
        DatasetFileError: if a file is missing.
        ValueError: if a file is damaged or the three files of a part disagree.

    """
    prepared = find_prepared(data_dir, "smallnorb")
    if prepared is not None:
        return _read_tfds(prepared, verbose)
    source = DatasetSource(data_dir, "SmallNORB", PUBLISHED_AT)
    columns = {key: [] for key in ("images", "part", "category", "instance", "elevation")}
    columns.update(azimuth=[], lighting=[], camera=[])
    for part_index, (part, stem) in enumerate(PARTS.items()):
        matrices = {}
        for kind in ("dat", "cat", "info"):
            (name, read), *_ = source.files(f"*{stem}-{kind}.mat*")
            matrices[kind] = read_norb_matrix(read(), name)
        pairs, categories, info = matrices["dat"], matrices["cat"], matrices["info"]
        count = len(pairs)
        if (
            pairs.ndim != 4
            or pairs.shape[1] != 2
            or categories.shape[:1] != (count,)
            or (info.shape != (count, 4))
        ):
            raise ValueError(
                f"The SmallNORB {part} files disagree: images {pairs.shape}, categories "
                f"{categories.shape}, info {info.shape}; expected (N, 2, 96, 96), (N,), (N, 4)."
            )
        for camera in (0, 1):
            columns["images"].append(pairs[:, camera])
            columns["part"].append(np.full(count, part_index))
            columns["category"].append(categories.reshape(count))
            columns["instance"].append(info[:, 0])
            columns["elevation"].append(info[:, 1])
            columns["azimuth"].append(info[:, 2] // 2)
            columns["lighting"].append(info[:, 3])
            columns["camera"].append(np.full(count, camera))
        if verbose:
            print(f"SmallNORB {part}: {count} image pairs")
    return {key: np.concatenate(value) for key, value in columns.items()} | {"source": PUBLISHED_AT}


# TFDS's smallnorb features, by the names of `read_smallnorb`'s columns. Its azimuths are
# already halved to 0..17.
TFDS_FEATURES = {
    "category": "label_category",
    "instance": "instance",
    "elevation": "label_elevation",
    "azimuth": "label_azimuth",
    "lighting": "label_lighting",
}


def _read_tfds(directory, verbose):
    splits = read_prepared(directory, decoded=("image", "image2"), verbose=verbose)
    columns = {key: [] for key in ("images", "part", *TFDS_FEATURES, "camera")}
    for part_index, split in enumerate(("train", "test")):
        if split not in splits:
            raise DatasetFileError(
                f"The TFDS smallnorb in {directory} has no {split!r} split (it has "
                f"{sorted(splits)}); prepare it again with `tfds build smallnorb`."
            )
        examples = splits[split]
        count = len(examples["label_category"])
        for camera, feature in enumerate(("image", "image2")):
            columns["images"].append(examples[feature][..., 0])
            columns["part"].append(np.full(count, part_index))
            for column, name in TFDS_FEATURES.items():
                columns[column].append(examples[name])
            columns["camera"].append(np.full(count, camera))
    return {key: np.concatenate(value) for key, value in columns.items()} | {
        "source": f"TFDS smallnorb, {directory}"
    }


def _dense_ids(*factors) -> tuple:
    combined = np.stack(factors, axis=1)
    unique, ids = np.unique(combined, axis=0, return_inverse=True)
    return ids.reshape(-1).astype("int64"), len(unique)


def smallnorb(data_dir: str | os.PathLike, size: int = 64, verbose: bool = True) -> DatasetSplits:
    """SmallNORB as in the paper, on the official split (25 training, 25 testing instances).

    Class = category x instance x elevation x lighting x camera; content = azimuth.

    Args:
        data_dir: the folder (or archive) of the six published files, or TFDS's prepared
            `smallnorb` (see `read_smallnorb`).
        size: image side after resizing (the paper's 64); grayscale is kept 1-channel.
        verbose: progress output.

    Returns:
        The `DatasetSplits`; class ids are global across both splits.

    Raises:
        DatasetFileError: if a file is missing.
        ValueError: if a file is damaged.

    Example:
    ```python
    splits = keras_lord.datasets.smallnorb("downloads/smallnorb")
    ```

    """
    table = read_smallnorb(data_dir, verbose)
    class_ids, num_classes = _dense_ids(
        table["category"],
        table["instance"],
        table["elevation"],
        table["lighting"],
        table["camera"],
    )
    images = resize_images(table["images"], size, verbose, label="image")
    info = {
        "dataset": "smallnorb",
        "source": table["source"],
        "class": "category x instance x elevation x lighting x camera",
        "content": "azimuth (18)",
        "split": "official: training-file instances 4, 6, 7, 8, 9; testing-file 0, 1, 2, 3, 5",
        "size": size,
    }
    return split_by_rows(images, class_ids, table["azimuth"], table["part"] == 1, num_classes, info)


def smallnorb_poses(
    data_dir: str | os.PathLike,
    size: int = 64,
    seed: int = 0,
    held_out: float = 0.1,
    verbose: bool = True,
) -> DatasetSplits:
    """SmallNORB-Poses: a seeded `held_out` share of the images is held out.

    Class = category x instance x lighting x camera; content = azimuth x elevation (162).

    Args:
        data_dir: the folder (or archive) of the six published files, or TFDS's prepared
            `smallnorb` (see `read_smallnorb`).
        size: image side after resizing.
        seed: seed of the held-out choice (recorded in the output).
        held_out: the share of images held out.
        verbose: progress output.

    Returns:
        The `DatasetSplits`.

    Raises:
        DatasetFileError: if a file is missing.
        ValueError: if a file is damaged.

    Example:
    ```python
    splits = keras_lord.datasets.smallnorb_poses("downloads/smallnorb", seed=0)
    ```

    """
    table = read_smallnorb(data_dir, verbose)
    class_ids, num_classes = _dense_ids(
        table["category"], table["instance"], table["lighting"], table["camera"]
    )
    content_ids = table["elevation"] * FACTORS["azimuth"] + table["azimuth"]
    images = resize_images(table["images"], size, verbose, label="image")
    info = {
        "dataset": "smallnorb_poses",
        "source": table["source"],
        "class": "category x instance x lighting x camera",
        "content": "elevation x 18 + azimuth (162 poses)",
        "split": f"{held_out:.0%} of the images held out, seed {seed}",
        "seed": seed,
        "size": size,
    }
    test_rows = held_out_rows(len(images), held_out, seed)
    return split_by_rows(images, class_ids, content_ids, test_rows, num_classes, info)
