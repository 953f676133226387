"""`keras.ops` forms of the backend functions; all a backend without a row-wise step has.

JAX uses its table row access; other backends (e.g. torch) have dense table updates only.
"""

from keras import ops

from keras_lord.data.epoch_batches import EpochBatches


def gather_rows(variable, row_ids):
    """Rows of a 2-D variable.

    Args:
        variable: a `keras.Variable`.
        row_ids: `(batch,)` integer rows.

    Returns:
        `(batch, dim)` rows.

    """
    return ops.take(variable, row_ids, axis=0)


def scatter_rows(optimizer, variable, row_ids, rows) -> None:
    """Writes `rows` into `variable` at `row_ids`.

    Under `jit` with donated state (Keras' JAX trainer), XLA scatters in place.

    Args:
        optimizer: the optimizer doing the write.
        variable: the table.
        row_ids: `(batch,)` rows, each at most once.
        rows: `(batch, dim)` new values.

    """
    row_ids = ops.expand_dims(row_ids, 1)
    optimizer.assign(variable, ops.scatter_update(variable.value, row_ids, rows))


def check_rowwise_supported() -> None:
    """Row-wise updates need the TensorFlow or the JAX backend.

    Raises:
        ValueError: always.

    """
    import keras

    raise ValueError(
        f"Row-wise table updates need the TensorFlow or JAX backend, not "
        f"{keras.backend.backend()!r}; pass `table_updates='dense'`."
    )


def row_gradient_train_step(trainer, *arguments):
    """Not available on this backend (see `check_rowwise_supported`)."""
    check_rowwise_supported()


def fit_inputs(
    inputs: dict, batch_size: int, shuffle: bool, seed: int, first_epoch: int = 0
) -> tuple:
    """Feeds numpy inputs to `fit` as a `PyDataset` of the batches `epoch_order` gives.

    Args:
        inputs: dict of arrays.
        batch_size: samples per batch.
        shuffle: whether each epoch visits the samples in a new random order.
        seed: seed of the shuffling.
        first_epoch: the number of the first epoch (that of a resumed training).

    Returns:
        `(dataset, None)`: the `EpochBatches`, whose length Keras takes as the epoch's steps.

    """
    return EpochBatches(inputs, batch_size, seed, first_epoch, shuffle), None


def native_input_gradient_is_slow() -> bool:
    """Whether this backend's convolution input gradients are worth replacing.

    Returns:
        `False`: XLA (JAX) already computes a stride-1 convolution's input gradient as a
        forward convolution of the flipped kernel.

    """
    return False


def forward_gradient_convolution(inputs, kernel, padding: str):
    """A stride-1 convolution; the backend's own gradient is already a forward convolution.

    Args:
        inputs: `(batch, height, width, in)`.
        kernel: `(kernel_height, kernel_width, in, out)`.
        padding: `"same"` or `"valid"`.

    Returns:
        `keras.ops.conv(inputs, kernel, padding=padding)`.

    """
    return ops.conv(inputs, kernel, padding=padding)


def time_input_gradients(
    input_shape: tuple, kernel_shape: tuple, padding: str, dtype: str, repeats: int = 3
) -> None:
    """Nothing to time: this backend has one way to compute the input gradient.

    Args:
        input_shape: `(batch, height, width, in)`.
        kernel_shape: `(kernel_height, kernel_width, in, out)`.
        padding: `"same"` or `"valid"`.
        dtype: the convolution's compute dtype.
        repeats: unused.

    Returns:
        `None`.

    """
    return None


def time_convolutions(candidates: dict, *shapes_and_dtype, **options) -> None:
    """Nothing is timed here: keras-lord's timed kernel choices are TensorFlow's.

    Args:
        candidates: `{name: convolve}`, as for the TensorFlow backend's
            `time_convolutions`.
        *shapes_and_dtype: its input shape, kernel shape and dtype; unused.
        **options: its `kernel_gradient` and `repeats`; unused.

    Returns:
        `None`: callers keep their rule's choice.

    """
    return None
