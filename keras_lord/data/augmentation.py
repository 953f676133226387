"""Random image shifts for stage 2's encoder inputs, in `keras.ops` on every backend."""

import keras
from keras import ops


def random_shift(images, max_shift: int, seed):
    """Shifts each image by its own random whole number of pixels, reflecting at the edges.

    Each image moves by `dy` rows and `dx` columns, both drawn uniformly from
    `[-max_shift, max_shift]`; the pixels that come in are the image's mirror image at that
    edge (reflect padding without repeating the edge pixel), so no black borders appear.
    The shift is a product with one-hot selection matrices, so it compiles the same way
    under TensorFlow and JAX and is differentiable in the images.

    Args:
        images: float images `(batch, height, width, channels)`.
        max_shift: the largest shift in pixels, `>= 0` and smaller than the height and
            the width; `0` returns the images unchanged.
        seed: a `keras.random.SeedGenerator` (or an integer seed) for the offsets.

    Returns:
        The shifted images, same shape and dtype.

    Raises:
        ValueError: for a negative `max_shift` or one that is not smaller than the images.

    Example:
    ```python
    images = np.random.rand(8, 32, 32, 3).astype("float32")
    shifted = keras_lord.data.random_shift(images, 2, keras.random.SeedGenerator(0))
    ```

    """
    max_shift = int(max_shift)
    height, width = images.shape[1], images.shape[2]
    if max_shift < 0 or max_shift >= min(height, width):
        raise ValueError(
            f"`max_shift` must be >= 0 and smaller than the images ({height}x{width}); "
            f"got {max_shift}."
        )
    if max_shift == 0:
        return images
    padding = [[0, 0], [max_shift, max_shift], [max_shift, max_shift], [0, 0]]
    padded = ops.pad(images, padding, mode="reflect")
    offsets = keras.random.randint(
        (ops.shape(images)[0], 2), 0, 2 * max_shift + 1, dtype="int32", seed=seed
    )
    row_selection = _selection(offsets[:, 0], height, height + 2 * max_shift, images.dtype)
    column_selection = _selection(offsets[:, 1], width, width + 2 * max_shift, images.dtype)
    return ops.einsum("bhi,bijc,bwj->bhwc", row_selection, padded, column_selection)


def _selection(offsets, size, padded_size, dtype):
    """`(batch, size, padded_size)` one-hot rows: output `k` reads padded `k + offset`."""
    positions = ops.expand_dims(ops.arange(size, dtype="int32"), 0) + ops.expand_dims(offsets, 1)
    return ops.one_hot(positions, padded_size, dtype=dtype)
