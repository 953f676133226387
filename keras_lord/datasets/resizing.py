"""Resizing many images in parallel threads, with a progress bar, uint8 throughout."""

import concurrent.futures
import os

import keras
import numpy as np
from PIL import Image

from keras_lord.data.image_files import open_image_file
from keras_lord.datasets.sources import reading_order


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

    def resize(index):
        image = np.asarray(images[index])
        picture = Image.fromarray(image[..., 0] if image.ndim == 3 and channels == 1 else image)
        if picture.size != (size, size):
            picture = picture.resize((size, size), Image.BOX)
        output[index] = np.asarray(picture).reshape(size, size, channels)

    run_in_threads(resize, count, verbose, workers, label)
    return output


def decode_images(
    files: list,
    size: int,
    crop=None,
    channels: int = 3,
    verbose: bool = True,
    workers: int | None = None,
    out=None,
):
    """Decodes image files in parallel threads, crops and resizes them, uint8 throughout.

    Args:
        files: `(name, read)` pairs, `read()` returning the file's bytes (as
            `DatasetSource.files` gives them).
        size: the side of the output.
        crop: `crop(width, height)` returning the `(left, top, right, bottom)` box to keep;
            a list of such functions to cut several images from each file (each file is
            decoded once); `None` for the whole image.
        channels: 3 (RGB) or 1 (grayscale).
        verbose: show a progress bar.
        workers: threads; defaults to the CPU count.
        out: the array (a list of arrays, one per crop) to write into, e.g. parts of one
            larger array, so that joining them costs no copy; new arrays by default.

    Returns:
        `(N, size, size, channels)` uint8 images; a list of such arrays, one per crop, if
        `crop` is a list.

    Raises:
        ValueError: naming the first file that is not a readable image (decoded by
            `keras_lord.data.image_files`' rule for 16-bit, palette and alpha pixels).

    """
    crops = crop if isinstance(crop, (list, tuple)) else [crop]
    shape = (len(files), size, size, channels)
    if out is None:
        outputs = [np.empty(shape, "uint8") for _ in crops]
    else:
        outputs = out if isinstance(crop, (list, tuple)) else [out]
        if any(output.shape != shape or output.dtype != np.uint8 for output in outputs):
            raise ValueError(f"`out` must hold uint8 arrays of shape {shape}.")

    order = reading_order(files)

    def decode(position):
        index = order[position]
        name, read = files[index]
        picture = open_image_file(read(), channels, name)
        for box, output in zip(crops, outputs):
            part = picture if box is None else picture.crop(box(picture.width, picture.height))
            part = part.resize((size, size), Image.BOX)
            output[index] = np.asarray(part).reshape(size, size, channels)

    run_in_threads(decode, len(files), verbose, workers)
    return outputs if isinstance(crop, (list, tuple)) else outputs[0]


def run_in_threads(
    work, count: int, verbose: bool = True, workers: int | None = None, label: str = ""
) -> None:
    """Runs `work(index)` for every index below `count` in a thread pool, with a progress bar.

    Args:
        work: a function of the index; its result is dropped, its exception raised here.
        count: how many indices.
        verbose: show a progress bar.
        workers: threads; defaults to the CPU count.
        label: what the progress bar counts (default "image").

    Example:
    ```python
    squares = [0] * 10
    run_in_threads(lambda i: squares.__setitem__(i, i * i), 10, verbose=False)
    ```

    """
    progress = keras.utils.Progbar(count, unit_name=label or "image") if verbose else None
    # About 200 updates in all: often enough to watch, rarely enough to cost nothing.
    every = max(1, count // 200)
    with concurrent.futures.ThreadPoolExecutor(workers or os.cpu_count()) as pool:
        for done, _ in enumerate(pool.map(work, range(count)), start=1):
            if progress is not None and (done % every == 0 or done == count):
                progress.update(done)


def centre_square(side: int):
    """A `crop` for `decode_images`: the centred `side x side` square."""

    def box(width, height):
        left, top = (width - side) // 2, (height - side) // 2
        return left, top, left + side, top + side

    return box
