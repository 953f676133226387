"""SmallNORB (LeCun et al., 2004) and SmallNORB-Poses.

50 toys in 5 categories, photographed by two cameras at 9 elevations, 18 azimuths and 6
lightings; 96x96 grayscale.
"""

import numpy as np

from keras_lord.datasets.norb_format import read_norb_matrix
from keras_lord.datasets.resizing import resize_images
from keras_lord.datasets.sources import DatasetSource
from keras_lord.datasets.splits import DatasetSplits, held_out_rows, split_by_rows

PUBLISHED_AT = "https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/"
PARTS = {
    "training": "smallnorb-5x46789x9x18x6x2x96x96-training",
    "testing": "smallnorb-5x01235x9x18x6x2x96x96-testing",
}
# Factor sizes: category, instance, elevation, azimuth (the files hold 0, 2, ..., 34),
# lighting, camera.
FACTORS = {"category": 5, "instance": 10, "elevation": 9, "azimuth": 18, "lighting": 6}


def read_smallnorb(data_dir, verbose: bool = True) -> dict:
    """Reads both official parts of SmallNORB, both cameras.

    Args:
        data_dir: a folder (or archive) holding the six `smallnorb-*-{dat,cat,info}.mat`
            files, gzipped (as published) or not.
        verbose: progress output.

    Returns:
        `{"images": (N, 96, 96) uint8, "part": (N,) 0 training / 1 testing, "category",
        "instance", "elevation", "azimuth" (0..17), "lighting", "camera"}`, one image per
        camera, N = 2 x 48,600 = 97,200 for the whole set.

    Raises:
        DatasetFileError: if a file is missing.
        ValueError: if a file is damaged or the three files of a part disagree.

    """
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
    return {key: np.concatenate(value) for key, value in columns.items()}


def _dense_ids(*factors) -> tuple:
    combined = np.stack(factors, axis=1)
    unique, ids = np.unique(combined, axis=0, return_inverse=True)
    return ids.reshape(-1).astype("int64"), len(unique)


def smallnorb(data_dir, size: int = 64, verbose: bool = True) -> DatasetSplits:
    """SmallNORB as in the paper, on the official split (25 training, 25 testing instances).

    Class = category x instance x elevation x lighting x camera; content = azimuth.

    Args:
        data_dir: the folder (or archive) of the six published files.
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
        "source": PUBLISHED_AT,
        "class": "category x instance x elevation x lighting x camera",
        "content": "azimuth (18)",
        "split": "official: training-file instances 4, 6, 7, 8, 9; testing-file 0, 1, 2, 3, 5",
        "size": size,
    }
    return split_by_rows(images, class_ids, table["azimuth"], table["part"] == 1, num_classes, info)


def smallnorb_poses(
    data_dir, size: int = 64, seed: int = 0, held_out: float = 0.1, verbose: bool = True
) -> DatasetSplits:
    """SmallNORB-Poses: a seeded `held_out` share of the images is held out.

    Class = category x instance x lighting x camera; content = azimuth x elevation (162).

    Args:
        data_dir: the folder (or archive) of the six published files.
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
        "source": PUBLISHED_AT,
        "class": "category x instance x lighting x camera",
        "content": "elevation x 18 + azimuth (162 poses)",
        "split": f"{held_out:.0%} of the images held out, seed {seed}",
        "seed": seed,
        "size": size,
    }
    test_rows = held_out_rows(len(images), held_out, seed)
    return split_by_rows(images, class_ids, content_ids, test_rows, num_classes, info)
