"""A sample of SmallNORB: the six matrix files of its two parts, as published."""

import gzip
import os

import numpy as np

from keras_lord.datasets.norb_format import write_norb_matrix
from keras_lord.datasets.smallnorb import PARTS


def smallnorb_part(part: str, pairs: int, seed: int, size: int = 12) -> dict:
    """The three matrices of a SmallNORB part: stereo pairs, categories and info.

    The pairs cover a grid of factors, each combination once before any repeats: the
    part's five instances of the official split (4, 6, 7, 8, 9 for training, 0, 1, 2, 3, 5
    for testing; the k-th in category k), elevations 0 - 1, azimuths 0, 2 and 4 (as the
    files store them) and lightings 0 - 1, in a seeded order. Camera 0 shows
    `azimuth * 7`, camera 1 its inverse.

    Args:
        part: `"training"` or `"testing"`.
        pairs: stereo pairs in the part (60 covers the grid).
        seed: seed of the order.
        size: image side.

    Returns:
        `{"dat": (pairs, 2, size, size) uint8, "cat": (pairs,) int32, "info": (pairs, 4)
        int32}`; `info` holds instance, elevation, azimuth and lighting.

    """
    instances = (4, 6, 7, 8, 9) if part == "training" else (0, 1, 2, 3, 5)
    grid = np.array(
        [
            (category, instance, elevation, azimuth, lighting)
            for category, instance in enumerate(instances)
            for elevation in range(2)
            for azimuth in (0, 2, 4)
            for lighting in range(2)
        ],
        "int32",
    )
    order = np.random.default_rng(seed).permutation(len(grid))
    rows = grid[np.resize(order, pairs)]
    info = rows[:, 1:]
    images = np.zeros((pairs, 2, size, size), "uint8")
    images[:, 0] = (info[:, 2] * 7)[:, None, None]
    images[:, 1] = 255 - (info[:, 2] * 7)[:, None, None]
    return {"dat": images, "cat": rows[:, 0].copy(), "info": info.copy()}


def write_smallnorb_sample(
    folder: str | os.PathLike, pairs_per_part: int = 60, size: int = 12
) -> str:
    """Writes the six SmallNORB files (`-dat.mat.gz` gzipped, as published) into `folder`.

    Args:
        folder: where to write; created if missing.
        pairs_per_part: stereo pairs in the training and in the testing part.
        size: image side.

    Returns:
        `folder`.

    Example:
    ```python
    folder = keras_lord.datasets.samples.write_smallnorb_sample("/tmp/norb")
    splits = keras_lord.datasets.smallnorb(folder, size=32)
    ```

    """
    os.makedirs(folder, exist_ok=True)
    for index, (part, stem) in enumerate(PARTS.items()):
        for kind, array in smallnorb_part(part, pairs_per_part, index, size).items():
            content = write_norb_matrix(array)
            name = f"{stem}-{kind}.mat"
            if kind == "dat":
                content, name = gzip.compress(content), name + ".gz"
            with open(os.path.join(folder, name), "wb") as file:
                file.write(content)
    return os.fspath(folder)
