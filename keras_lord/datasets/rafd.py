"""RaFD (Langner et al., 2010): 67 people, 8 expressions, 5 camera angles, 3 gaze directions."""

import os
import re

import numpy as np

from keras_lord.datasets.resizing import decode_images
from keras_lord.datasets.sources import DatasetSource
from keras_lord.datasets.splits import DatasetSplits, held_out_rows, split_by_rows

PUBLISHED_AT = "https://rafd.socsci.ru.nl (on request, for research)"
EXPRESSIONS = (
    "angry",
    "contemptuous",
    "disgusted",
    "fearful",
    "happy",
    "neutral",
    "sad",
    "surprised",
)
GAZES = ("frontal", "left", "right")
FILE_NAME = re.compile(
    r"Rafd(?P<angle>\d{3})_(?P<subject>\d+)_(?P<ethnicity>[A-Za-z]+)_(?P<gender>[a-z]+)_"
    r"(?P<expression>[a-z]+)_(?P<gaze>[a-z]+)\.jpg$"
)
# The square kept of each 681x1024 portrait: the full width, from 170 pixels down, which
# holds the head at every angle.
FACE_BOX = (0, 170, 681, 851)


def _face_box(width, height):
    scale = width / 681
    left, top, right, bottom = FACE_BOX
    return int(left * scale), int(top * scale), int(right * scale), int(bottom * scale)


def rafd(
    data_dir: str | os.PathLike,
    size: int = 64,
    held_out: float = 0.1,
    seed: int = 0,
    verbose: bool = True,
) -> DatasetSplits:
    """RaFD: class = expression (8), no content; angle, subject and gaze as extra arrays.

    Each portrait is cropped to a fixed square (`FACE_BOX`: the full width, rows 170 to 851
    of the 681x1024 images) and resized; no face detector is run.

    Args:
        data_dir: the folder (or archive) of `Rafd<angle>_<subject>_<ethnicity>_<gender>_
            <expression>_<gaze>.jpg` files.
        size: image side after resizing.
        held_out: share of the images held out, chosen with `seed`.
        seed: seed of the held-out choice.
        verbose: progress output.

    Returns:
        The `DatasetSplits`, with extras `angle` (degrees), `subject` and `gaze` (index into
        `GAZES`).

    Raises:
        DatasetFileError: if no RaFD file is found.
        ValueError: for a damaged image, or an expression or gaze RaFD does not have.

    Example:
    ```python
    splits = keras_lord.datasets.rafd("downloads/RaFD")
    ```

    """
    source = DatasetSource(data_dir, "RaFD", PUBLISHED_AT)
    files = [
        (name, read)
        for name, read in source.files("*Rafd*.jpg")
        if FILE_NAME.search(os.path.basename(name))
    ]
    if not files:
        raise source.missing("file named Rafd<angle>_<subject>_..._<expression>_<gaze>.jpg")
    fields = [FILE_NAME.search(os.path.basename(name)).groupdict() for name, _ in files]
    for (name, _), field in zip(files, fields):
        if field["expression"] not in EXPRESSIONS or field["gaze"] not in GAZES:
            raise ValueError(
                f"{name}: expression {field['expression']!r} or gaze {field['gaze']!r} is not "
                f"one of RaFD's ({', '.join(EXPRESSIONS)}; {', '.join(GAZES)})."
            )
    images = decode_images(files, size, _face_box, 3, verbose)
    class_ids = np.array([EXPRESSIONS.index(field["expression"]) for field in fields])
    extras = {
        "angle": np.array([int(field["angle"]) for field in fields], "int16"),
        "subject": np.array([int(field["subject"]) for field in fields], "int16"),
        "gaze": np.array([GAZES.index(field["gaze"]) for field in fields], "int8"),
    }
    info = {
        "dataset": "rafd",
        "source": PUBLISHED_AT,
        "class": f"expression: {', '.join(EXPRESSIONS)}",
        "content": "none",
        "crop": f"fixed square {FACE_BOX} of the 681x1024 portraits, then resized",
        "split": f"{held_out:.0%} of the images, seed {seed}",
        "seed": seed,
        "size": size,
    }
    test_rows = held_out_rows(len(images), held_out, seed)
    return split_by_rows(images, class_ids, None, test_rows, len(EXPRESSIONS), info, extras)
