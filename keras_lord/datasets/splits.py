"""A prepared dataset: its training and held-out `LordData`, and how it was split.

Written as `train.npz`, `test.npz` and `dataset.json` (what was read, the split, the class
and content definitions, the counts).
"""

import dataclasses
import os

import numpy as np

from keras_lord.data import LordData
from keras_lord.data.lord_data import PREPARATION_MARK
from keras_lord.utils.files import write_json

TRAIN_FILE = "train.npz"
TEST_FILE = "test.npz"
INFO_FILE = "dataset.json"
# Everything a preparation writes in its folder.
PREPARED_FILES = (TRAIN_FILE, TEST_FILE, INFO_FILE, PREPARATION_MARK)


def file_stamp(path) -> dict:
    """The size and last change of a file: what tells that it was replaced."""
    stat = os.stat(path)
    return {"bytes": stat.st_size, "modified_ns": stat.st_mtime_ns}


@dataclasses.dataclass
class DatasetSplits:
    """A dataset split for training and evaluation.

    Class ids are global across both splits (as the reference code keeps them): held-out
    classes keep their own ids and `num_classes` counts all of them.

    Args:
        train: the training images.
        test: the held-out images.
        info: what was read, the split, the class and content definitions and the counts
            (JSON-serialisable).
        train_extras: other per-image arrays of the training images (e.g. attributes),
            stored in `train.npz` under their names.
        test_extras: the same for the held-out images.

    Example:
    ```python
    splits = keras_lord.datasets.cars3d("downloads/cars3d")
    splits.write("data/cars3d")  # train.npz, test.npz, dataset.json
    ```

    """

    train: LordData
    test: LordData
    info: dict
    train_extras: dict = dataclasses.field(default_factory=dict)
    test_extras: dict = dataclasses.field(default_factory=dict)

    def write(self, directory: str | os.PathLike) -> dict:
        """Writes `train.npz`, `test.npz` and `dataset.json`, as one transaction.

        Each file is written atomically; while they are written, `dataset.pending` marks
        the folder, and `dataset.json`, written last, records the size and last change of
        both splits. A write cut off by a kill leaves the mark, which `LordData.from_npz`
        refuses to read past and `prepare_dataset` finishes: never a mix of two
        preparations taken for one.

        Args:
            directory: the output folder (created if needed).

        Returns:
            The info, with the counts of each split and the stamps of their files added.

        """
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        info = dict(self.info)
        for name, data in (("train", self.train), ("test", self.test)):
            info[name] = {
                "images": data.num_samples,
                "classes": int(len(np.unique(data.class_ids))),
                "image_shape": list(data.image_shape),
            }
        info["num_classes"] = self.train.num_classes
        info["extras"] = sorted(self.train_extras)
        mark = os.path.join(directory, PREPARATION_MARK)
        write_json(mark, {"writing": [TRAIN_FILE, TEST_FILE, INFO_FILE]})
        info_path = os.path.join(directory, INFO_FILE)
        if os.path.exists(info_path):
            os.remove(info_path)
        info["files"] = {}
        for name, data, extras in (
            (TRAIN_FILE, self.train, self.train_extras),
            (TEST_FILE, self.test, self.test_extras),
        ):
            data.save_npz(os.path.join(directory, name), extras)
            info["files"][name] = file_stamp(os.path.join(directory, name))
        write_json(info_path, info)
        os.remove(mark)
        return info


def split_by_rows(
    images: np.ndarray,
    class_ids: np.ndarray,
    content_ids: np.ndarray | None,
    test_rows: np.ndarray,
    num_classes: int,
    info: dict,
    extras: dict | None = None,
) -> DatasetSplits:
    """Splits arrays into training and held-out `LordData` by a mask of held-out rows.

    The training images are compacted inside `images` (which is reordered) rather than
    copied, so the split costs the held-out images' memory only.

    Args:
        images: `(N, H, W, C)` uint8 images; overwritten.
        class_ids: `(N,)` global class ids.
        content_ids: `(N,)` content ids, or `None`.
        test_rows: `(N,)` booleans, true for held-out images.
        num_classes: classes in both splits together.
        info: the dataset's description (see `DatasetSplits`).
        extras: other per-image arrays, split the same way.

    Returns:
        The `DatasetSplits`.

    Raises:
        ValueError: if either split would be empty.

    """
    test_rows = np.asarray(test_rows, bool)
    if test_rows.all() or not test_rows.any():
        raise ValueError(
            f"The split leaves {'no training' if test_rows.all() else 'no held-out'} images "
            f"of {len(test_rows)}: the data holds too few classes or images for it."
        )
    test_images = images[test_rows]
    train_images = keep_rows_in_place(images, ~test_rows)
    parts = []
    for rows, part_images in ((~test_rows, train_images), (test_rows, test_images)):
        parts.append(
            LordData(
                images=part_images,
                class_ids=class_ids[rows],
                num_classes=num_classes,
                content_ids=None if content_ids is None else content_ids[rows],
            )
        )
    extras = extras or {}
    return DatasetSplits(
        train=parts[0],
        test=parts[1],
        info=dict(info),
        train_extras={name: values[~test_rows] for name, values in extras.items()},
        test_extras={name: values[test_rows] for name, values in extras.items()},
    )


def keep_rows_in_place(array: np.ndarray, rows: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """`array[rows]` for a boolean mask, built inside `array`'s own memory.

    A copy would double the peak memory of a preparation (CelebA at 64x64: 2.5 GB more).
    Kept row `kept[j]` moves to `j <= kept[j]`, in ascending chunks: each chunk reads rows at
    or after the first it writes, and after every row an earlier chunk wrote.

    Args:
        array: the array, reordered in place.
        rows: `(len(array),)` booleans, true for the rows kept.
        chunk: rows moved at a time.

    Returns:
        A view of `array`'s first `rows.sum()` rows, holding the kept rows in order.

    """
    kept = np.flatnonzero(rows)
    for start in range(0, len(kept), chunk):
        indices = kept[start : start + chunk]
        # A chunk with no held-out row at or before its rows is already in place.
        if indices[-1] != start + len(indices) - 1:
            array[start : start + len(indices)] = array[indices]
    return array[: len(kept)]


def held_out_classes(num_classes: int, count: int, seed: int) -> np.ndarray:
    """A seeded choice of `count` classes to hold out.

    Args:
        num_classes: classes to choose from.
        count: how many to hold out.
        seed: the seed (recorded in the output, so a second run makes the same split).

    Returns:
        Sorted class ids.

    Raises:
        ValueError: if `count` leaves no class on either side.

    """
    if not 0 < count < num_classes:
        raise ValueError(
            f"Cannot hold out {count} of {num_classes} classes: hold out between 1 and "
            f"{num_classes - 1} (`keras-lord prepare --held-out-classes N`, or `held_out=N`), "
            "or use data of more classes."
        )
    return np.sort(np.random.default_rng(seed).choice(num_classes, count, replace=False))


def held_out_rows(num_images: int, fraction: float, seed: int) -> np.ndarray:
    """A seeded mask holding out `fraction` of the images.

    Args:
        num_images: the images.
        fraction: the share held out.
        seed: the seed.

    Returns:
        `(num_images,)` booleans.

    """
    count = max(1, round(num_images * fraction))
    mask = np.zeros(num_images, bool)
    mask[np.random.default_rng(seed).choice(num_images, count, replace=False)] = True
    return mask
