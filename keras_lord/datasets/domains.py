"""The paper's domain-translation data: Edges2Shoes (pix2pix) and anime faces."""

import os

import numpy as np

from keras_lord.datasets.resizing import decode_images
from keras_lord.datasets.sources import DatasetSource
from keras_lord.datasets.splits import DatasetSplits, held_out_rows, split_by_rows

EDGES2SHOES_AT = "https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/edges2shoes.tar.gz"
ANIME_AT = "https://github.com/bchao1/Anime-Face-Dataset (the `cropped/` folder)"
DOMAINS = ("edges", "shoes")


def _left_half(width, height):
    return 0, 0, width // 2, height


def _right_half(width, height):
    return width // 2, 0, width, height


def edges2shoes(data_dir: str | os.PathLike, size: int = 64, verbose: bool = True) -> DatasetSplits:
    """Edges2Shoes: class = domain (0 edges, 1 shoes); the publisher's train / val split.

    Each 256x512 file is an edge map (left) beside its photo (right); both halves are kept,
    one image per domain. Style clusters (the paper's appendix A.8) split the domains
    further.

    Args:
        data_dir: `edges2shoes.tar.gz`, or the folder it extracts to (`train/`, `val/` of
            `N_AB.jpg`).
        size: image side after resizing.
        verbose: progress output.

    Returns:
        The `DatasetSplits`; `content_ids` pair each edge map with its photo (the file's
        index), for evaluation only.

    Raises:
        DatasetFileError: if `train/` or `val/` holds no image.
        ValueError: for a damaged file.

    Example:
    ```python
    splits = keras_lord.datasets.edges2shoes("downloads/edges2shoes.tar.gz")
    ```

    """
    source = DatasetSource(data_dir, "Edges2Shoes", EDGES2SHOES_AT)
    parts = [source.files("*train/*_AB.jpg"), source.files("*val/*_AB.jpg")]
    # Edges, then shoes, of the training pairs; the same of the held-out pairs, each
    # decoded into its place in one array.
    images = np.empty((2 * sum(map(len, parts)), size, size, 3), "uint8")
    class_ids, pairs, test_rows = [], [], []
    start = 0
    for part, files in enumerate(parts):
        count = len(files)
        first = 2 * start
        halves = [images[first : first + count], images[first + count : first + 2 * count]]
        decode_images(files, size, [_left_half, _right_half], 3, verbose, out=halves)
        class_ids += [np.zeros(count, "int64"), np.ones(count, "int64")]
        pairs += [np.arange(start, start + count)] * 2
        test_rows += [np.full(2 * count, part == 1)]
        start += count
    info = {
        "dataset": "edges2shoes",
        "source": EDGES2SHOES_AT,
        "class": "domain: 0 edges (left half), 1 shoes (right half)",
        "content": "the pair's index (an edge map and its photo share it)",
        "split": "the publisher's: train/ for training, val/ held out",
        "size": size,
    }
    return split_by_rows(
        images,
        np.concatenate(class_ids),
        np.concatenate(pairs),
        np.concatenate(test_rows),
        len(DOMAINS),
        info,
    )


def anime(
    data_dir: str | os.PathLike,
    size: int = 64,
    held_out: float = 0.1,
    seed: int = 0,
    verbose: bool = True,
) -> DatasetSplits:
    """Anime faces: one domain (class 0); pair with CelebA for faces-to-anime translation.

    Args:
        data_dir: the Anime-Face-Dataset's `cropped/` folder (`<n>_<year>.jpg`, sizes
            vary), a folder holding it, or an archive of it.
        size: image side after resizing (images are squashed to a square).
        held_out: share of the images held out, chosen with `seed`.
        seed: seed of the held-out choice.
        verbose: progress output.

    Returns:
        The `DatasetSplits`, all of class 0; `dataset.json` records the years of the files.

    Raises:
        DatasetFileError: if no image is found.
        ValueError: for a damaged image.

    Example:
    ```python
    splits = keras_lord.datasets.anime("downloads/anime/cropped")
    ```

    """
    source = DatasetSource(data_dir, "anime faces", ANIME_AT)
    files = source.files("*.jpg")
    images = decode_images(files, size, None, 3, verbose)
    years = [os.path.splitext(os.path.basename(name))[0].rpartition("_")[2] for name, _ in files]
    info = {
        "dataset": "anime",
        "source": ANIME_AT,
        "class": "one domain (0)",
        "content": "none",
        "split": f"{held_out:.0%} of the images, seed {seed}",
        "years": sorted({year for year in years if year.isdigit()}),
        "seed": seed,
        "size": size,
    }
    test_rows = held_out_rows(len(images), held_out, seed)
    return split_by_rows(images, np.zeros(len(images), "int64"), None, test_rows, 1, info)
