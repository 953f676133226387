"""Early, explicit checks of user data, with errors that say how to fix it."""

import numpy as np


def validate_images(images: np.ndarray, name: str = "images") -> np.ndarray:
    """Checks an image batch and returns it as a numpy array.

    Args:
        images: array of shape `(N, H, W, C)`, `C` in {1, 3}, either `uint8` in `[0, 255]`
            or floating point in `[0, 1]`.
        name: how to call the array in error messages.

    Returns:
        The images as a numpy array (`uint8` stays `uint8`, floats become `float32`).

    Raises:
        ValueError: for an empty array, a wrong rank or channel count, non-finite values or
            floats outside `[0, 1]`.
        TypeError: for other dtypes.

    """
    images = np.asarray(images)
    if images.ndim == 3:
        raise ValueError(
            f"`{name}` has shape {images.shape}; expected (N, H, W, C). For grayscale images "
            f"add a channel axis: `{name}[..., None]`."
        )
    if images.ndim != 4:
        raise ValueError(f"`{name}` must have shape (N, H, W, C); got shape {images.shape}.")
    if images.shape[0] == 0:
        raise ValueError(f"`{name}` is empty: got shape {images.shape}.")
    if images.shape[-1] not in (1, 3):
        if images.shape[-1] in (2, 4):
            hint = f"Drop the alpha channel: `{name}[..., :{images.shape[-1] - 1}]`."
        elif images.shape[1] in (1, 3):
            hint = f"Channels-first data needs `np.transpose({name}, (0, 2, 3, 1))`."
        else:
            hint = "Convert the images to grayscale or RGB."
        raise ValueError(
            f"`{name}` must have 1 or 3 channels in the last axis (NHWC); got shape "
            f"{images.shape}. {hint}"
        )
    if images.dtype == np.uint8:
        return images
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(
            f"`{name}` has dtype {images.dtype}; pass uint8 in [0, 255] or floats in [0, 1] "
            f"(e.g. `{name}.astype('uint8')`)."
        )
    images = images.astype("float32", copy=False)
    if not np.all(np.isfinite(images)):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    low, high = float(images.min()), float(images.max())
    if low < 0.0 or high > 1.0:
        hint = (
            " It looks like [0, 255]: divide by 255 or pass uint8."
            if high <= 255.0 and low >= 0.0
            else " If it is in [-1, 1], map it with `(x + 1) / 2`."
        )
        raise ValueError(
            f"`{name}` must lie in [0, 1]; got values in [{low:.4g}, {high:.4g}].{hint}"
        )
    return images


def validate_ids(ids: np.ndarray, count: int, name: str, num_images: int) -> np.ndarray:
    """Checks a vector of integer ids against a table size.

    Args:
        ids: one id per image.
        count: ids must lie in `[0, count)`.
        name: how to call the ids in error messages.
        num_images: expected length.

    Returns:
        The ids as an `int32` numpy array.

    Raises:
        ValueError: for a wrong shape or length, or ids out of range.
        TypeError: for non-integer ids.

    """
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"`{name}` must be a vector with one id per image; got shape {ids.shape}.")
    if len(ids) != num_images:
        raise ValueError(f"`{name}` has {len(ids)} entries but there are {num_images} images.")
    if not np.issubdtype(ids.dtype, np.integer):
        integral = np.issubdtype(ids.dtype, np.floating) and np.all(np.isfinite(ids))
        if integral and np.all(ids == np.round(ids)):
            ids = ids.astype("int64")
        else:
            raise TypeError(f"`{name}` must hold integers; got dtype {ids.dtype}.")
    if len(ids) and (ids.min() < 0 or ids.max() >= count):
        raise ValueError(
            f"`{name}` must lie in [0, {count}); got values in [{ids.min()}, {ids.max()}]. "
            f"Remap the labels to 0..{count - 1} (e.g. `np.unique(labels, return_inverse=True)`) "
            "or raise the table size."
        )
    return ids.astype("int32")
