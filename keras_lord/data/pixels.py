"""The one place where pixel values change between `uint8` and floats in `[0, 1]`."""

import numpy as np
from keras import ops


def unit_float(images: np.ndarray) -> np.ndarray:
    """Numpy images as `float32` in `[0, 1]`: `uint8` is divided by 255, floats are kept.

    Args:
        images: `uint8` in `[0, 255]` or floats in `[0, 1]`.

    Returns:
        A `float32` array.

    Example:
    ```python
    keras_lord.data.unit_float(np.full((1, 2, 2, 3), 255, "uint8")).max()  # 1.0
    ```

    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images.astype("float32") / 255.0
    return images.astype("float32", copy=False)


def unit_float_tensor(images):
    """Tensor images as `float32` in `[0, 1]`, inside a model (`keras.ops`).

    Args:
        images: a `uint8` tensor in `[0, 255]` or a float tensor in `[0, 1]`.

    Returns:
        A `float32` tensor.

    """
    if images.dtype == "uint8":
        return ops.cast(images, "float32") / 255.0
    return ops.cast(images, "float32")


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Images in `[0, 1]` as `uint8`, rounded; `uint8` input is returned as is.

    Args:
        images: floats in `[0, 1]` (clipped) or `uint8`.

    Returns:
        A `uint8` array.

    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    return np.round(np.clip(images, 0.0, 1.0) * 255.0).astype("uint8")
