"""A sample of the Anime-Face-Dataset: `cropped/<n>_<year>.jpg` faces of varied sizes."""

import os

import numpy as np


def write_anime_sample(folder: str | os.PathLike, count: int = 10) -> str:
    """Writes the Anime-Face-Dataset's `cropped/<n>_<year>.jpg` faces, of varied sizes.

    Face `n` is a flat shade `7 * n % 250`, between 40 and 90 pixels high and 3 wider,
    dated `2000 + n % 20`.

    Args:
        folder: where to write `cropped/`; created if missing.
        count: faces.

    Returns:
        `folder/cropped`.

    Example:
    ```python
    faces = keras_lord.datasets.samples.write_anime_sample("/tmp/anime")
    splits = keras_lord.datasets.anime(faces, size=32)
    ```

    """
    from PIL import Image

    cropped = os.path.join(folder, "cropped")
    os.makedirs(cropped, exist_ok=True)
    sides = (40, 64, 90, 51, 77, 63, 44, 80, 70, 66)
    for index in range(count):
        side = sides[index % len(sides)]
        face = np.full((side, side + 3, 3), 7 * index % 250, "uint8")
        Image.fromarray(face).save(os.path.join(cropped, f"{index}_{2000 + index % 20}.jpg"))
    return cropped
