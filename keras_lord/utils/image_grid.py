"""Translation grids as PNG: class sources down the side, content sources across the top."""

import numpy as np
from PIL import Image

from keras_lord.data.pixels import to_uint8
from keras_lord.utils.files import atomic_path


def _to_uint8_rgb(images) -> np.ndarray:
    images = to_uint8(images)
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return images


def translation_grid(class_images, content_images, translations, gap: int = 2) -> np.ndarray:
    """Lays out a translation table as one image.

    Row `i + 1` starts with class source `i`, column `j + 1` starts with content source `j`,
    and cell `(i + 1, j + 1)` is `translations[i, j]`; the top-left cell is blank.

    Args:
        class_images: `(R, H, W, C)` class sources, uint8 or floats in `[0, 1]`.
        content_images: `(K, H, W, C)` content sources.
        translations: `(R, K, H, W, C)` generated images.
        gap: pixels between cells.

    Returns:
        A `uint8` RGB image.

    """
    class_images = _to_uint8_rgb(class_images)
    content_images = _to_uint8_rgb(content_images)
    translations = _to_uint8_rgb(translations)
    rows, columns = translations.shape[:2]
    height, width = translations.shape[2:4]
    canvas = np.full(
        ((rows + 1) * (height + gap) + gap, (columns + 1) * (width + gap) + gap, 3),
        255,
        dtype="uint8",
    )

    def place(row, column, image):
        top, left = gap + row * (height + gap), gap + column * (width + gap)
        canvas[top : top + height, left : left + width] = image

    for column in range(columns):
        place(0, column + 1, content_images[column])
    for row in range(rows):
        place(row + 1, 0, class_images[row])
        for column in range(columns):
            place(row + 1, column + 1, translations[row, column])
    return canvas


def save_png(path, image, scale: int = 1) -> None:
    """Writes a `uint8` image as PNG atomically, optionally enlarged by pixel repetition.

    Args:
        path: destination `.png`.
        image: `(H, W, 3)` or `(H, W)` `uint8` image.
        scale: integer enlargement factor.

    """
    picture = Image.fromarray(np.asarray(image))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    with atomic_path(path, suffix=".png") as temporary:
        picture.save(temporary, format="PNG")
