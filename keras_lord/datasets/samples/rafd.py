"""A sample of RaFD: portraits named by camera angle, subject, expression and gaze."""

import os

import numpy as np


def write_rafd_sample(
    folder: str | os.PathLike,
    expressions: tuple = ("angry", "happy", "surprised"),
    subjects: int = 3,
    angles: tuple = (45, 90),
    gazes: tuple = ("frontal", "left"),
) -> str:
    """Writes RaFD portraits: 681x1024 JPEGs named `Rafd<angle>_<subject>_..._<gaze>.jpg`.

    One portrait per combination. Each is black outside the face box the loader crops
    (rows 170 to 851), grey 200 inside, with a white bar whose height in the box names the
    expression and a white square whose place across names the subject.

    Args:
        folder: where to write; created if missing.
        expressions: RaFD expression names (`keras_lord.datasets.rafd.EXPRESSIONS`).
        subjects: subjects, numbered from 1.
        angles: camera angles in degrees.
        gazes: gaze names (`frontal`, `left`, `right`).

    Returns:
        `folder`.

    Example:
    ```python
    folder = keras_lord.datasets.samples.write_rafd_sample("/tmp/rafd")
    splits = keras_lord.datasets.rafd(folder, size=32)
    ```

    """
    from PIL import Image

    from keras_lord.datasets.rafd import EXPRESSIONS

    os.makedirs(folder, exist_ok=True)
    for angle in angles:
        for subject in range(1, subjects + 1):
            for expression in expressions:
                for gaze in gazes:
                    portrait = np.zeros((1024, 681, 3), "uint8")
                    portrait[170:851] = 200
                    bar = 200 + 60 * EXPRESSIONS.index(expression)
                    portrait[bar : bar + 60, 60:620] = 255
                    left = 40 + 80 * (subject % 7)
                    portrait[700:780, left : left + 80] = 255
                    name = f"Rafd{angle:03d}_{subject:02d}_Caucasian_female_{expression}_{gaze}.jpg"
                    Image.fromarray(portrait).save(os.path.join(folder, name), quality=95)
    return os.fspath(folder)
