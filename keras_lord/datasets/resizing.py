"""Resizing many images in parallel threads, with a progress bar, uint8 throughout."""

import concurrent.futures
import os

import keras
import numpy as np
from PIL import Image


def resize_images(
    images, size: int, verbose: bool = True, workers: int | None = None, label: str = ""
) -> np.ndarray:
    """Resizes `uint8` images to `size x size` with area averaging (no aliasing).

    Pillow releases the GIL while it resizes, so threads run in parallel.

    Args:
        images: a sequence of `(H, W)` or `(H, W, C)` uint8 arrays (or one 4-D array).
        size: the side of the output.
        verbose: show a progress bar.
        workers: threads; defaults to the CPU count.
        label: what the progress bar counts.

    Returns:
        `(N, size, size, C)` uint8 images (`C` = 1 for 2-D inputs).

    """
    count = len(images)
    first = np.asarray(images[0])
    channels = 1 if first.ndim == 2 else first.shape[-1]
    output = np.empty((count, size, size, channels), "uint8")
    progress = keras.utils.Progbar(count, unit_name=label or "image") if verbose else None

    def resize(index):
        image = np.asarray(images[index])
        picture = Image.fromarray(image[..., 0] if image.ndim == 3 and channels == 1 else image)
        if picture.size != (size, size):
            picture = picture.resize((size, size), Image.BOX)
        output[index] = np.asarray(picture).reshape(size, size, channels)

    with concurrent.futures.ThreadPoolExecutor(workers or os.cpu_count()) as pool:
        for done, _ in enumerate(pool.map(resize, range(count)), start=1):
            if progress is not None and (done % 256 == 0 or done == count):
                progress.update(done)
    return output
