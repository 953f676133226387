"""`keras.ops` forms of the backend functions; all a backend without a row-wise step has.

JAX uses its table row access; other backends (e.g. torch) have dense table updates only.
The choices of kernels and forms here are the plain ones, which every backend computes.
"""

import contextlib

import keras
from keras import ops

from keras_lord.data.batch_split import UNSPLIT, BatchSplit
from keras_lord.data.epoch_batches import EpochBatches

# Out-of-memory errors of the backend beyond Python's `MemoryError` (the command line
# answers them with one line); JAX's is a `RuntimeError`, which it answers already.
OUT_OF_MEMORY_ERRORS = ()


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


def compiled_train_step(trainer, batch) -> str:
    """Not available on this backend: XLA's compiled step is read under JAX.

    Raises:
        NotImplementedError: always.

    """
    raise NotImplementedError(
        f"The compiled training step is read under the JAX backend, not "
        f"{keras.backend.backend()!r}: set KERAS_BACKEND=jax."
    )


def adversarial_train_step(trainer, *arguments):
    """Not available on this backend: the synthesis stage runs under TensorFlow and JAX.

    Raises:
        NotImplementedError: always.

    """
    raise NotImplementedError(
        f"The adversarial synthesis stage runs under the TensorFlow and JAX backends, not "
        f"{keras.backend.backend()!r}: set KERAS_BACKEND=jax or tensorflow."
    )


def squared_input_gradient_norms(function, inputs):
    """Not available on this backend (see `adversarial_train_step`).

    Raises:
        NotImplementedError: always.

    """
    adversarial_train_step(None)


def fit_inputs(
    inputs: dict,
    batch_size: int,
    shuffle: bool,
    seed: int,
    first_epoch: int = 0,
    split: BatchSplit = UNSPLIT,
) -> tuple:
    """Feeds numpy inputs to `fit` as a `PyDataset` of the batches `epoch_order` gives.

    Args:
        inputs: dict of arrays.
        batch_size: samples per global batch.
        shuffle: whether each epoch visits the samples in a new random order.
        seed: seed of the shuffling.
        first_epoch: the number of the first epoch (that of a resumed training).
        split: how the distribution splits each batch (`keras_lord.data.EpochBatches`).

    Returns:
        `(dataset, None)`: the `EpochBatches`, whose length Keras takes as the epoch's steps.

    """
    return EpochBatches(inputs, batch_size, seed, first_epoch, shuffle, split), None


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


def overhanging_kernels_as_matmul() -> bool:
    """Whether a "same" convolution whose kernel is wider than its map runs as one matmul.

    Returns:
        `False`: the backend's convolution is kept (`keras_lord.layers.PatchMatmulConv2D`
        still computes maps with fewer pixels than kernel taps as matmuls).

    Example:
    ```python
    print(keras_lord.backend.overhanging_kernels_as_matmul())
    ```

    """
    return False


def upsampled_convolution_form() -> str:
    """How `keras_lord.layers.UpsampleConv2D` convolves without upsampling first.

    Returns:
        `"phase"`: one convolution to a channel per output phase, whose phases are then
        interleaved (`UpsampleConv2D.phase_convolution`). It needs only a plain
        convolution, and XLA's CPU compiler (JAX) ran it faster than the transposed form
        (`docs/performance.md`).

    Example:
    ```python
    print(keras_lord.backend.upsampled_convolution_form())  # "transposed" or "phase"
    ```

    """
    return "phase"


def blocked_convolutions_can_pay() -> bool:
    """Whether convolutions to few channels may run faster on pixel blocks here.

    Returns:
        `False`: XLA's CPU compiler (JAX) ran the blocked form slower than the plain one
        (`docs/performance.md`), so `keras_lord.layers.SpaceToDepthConv2D` computes as
        `keras.layers.Conv2D` whatever `keras_lord.layers.blocked_convolution()` says.

    Example:
    ```python
    print(keras_lord.backend.blocked_convolutions_can_pay())
    ```

    """
    return False


def accelerator_names() -> list:
    """The accelerators this backend computes on, as keras-lord can tell them.

    Returns:
        `[]`: keras-lord reads no accelerator of this backend.

    """
    return []


def accelerator_bfloat16() -> bool | None:
    """Whether this backend's accelerators compute bfloat16 natively.

    Returns:
        `None`: keras-lord reads no accelerator of this backend; `precision="auto"` goes
        by the CPU.

    """
    return None


def native_cpu_bfloat16() -> bool:
    """Whether this backend computes the networks faster in bfloat16 on this CPU.

    Returns:
        `False`: no CPU kernels of this backend were measured faster in bfloat16 than in
        float32 (`docs/performance.md`); XLA's (JAX) got no faster even on CPUs with
        AVX512-BF16 or AMX.

    Example:
    ```python
    print(keras_lord.backend.native_cpu_bfloat16())
    ```

    """
    return False


def jaxlib_compiles_convolutions() -> bool:
    """Whether jaxlib's XLA compiles the networks' convolutions, so that its flags apply.

    Returns:
        `False`: the convolutions are not compiled by jaxlib's XLA, whose `XLA_FLAGS`
        (`keras_lord.utils.cpu.prefer_xla_eigen_convolutions`) are then left alone.

    Example:
    ```python
    print(keras_lord.backend.jaxlib_compiles_convolutions())
    ```

    """
    return False


def process_index() -> int:
    """The index of the running process among those training together.

    Returns:
        `0`: this backend trains in one process.

    """
    return 0


def values_of_processes(value: int) -> list:
    """The value each process training together holds, in process order.

    Args:
        value: this process's value, a whole number.

    Returns:
        `[value]`: this backend trains in one process.

    """
    return [value]


def wait_for_processes(name: str) -> None:
    """Returns once every process training together has called it with `name`.

    Args:
        name: what the processes wait for, the same on all of them.

    """


def checkpoint_restore_targets(variables) -> list:
    """What Orbax restores each variable as: only JAX's arrays carry their devices' layout.

    Args:
        variables: the variables to restore.

    Raises:
        ValueError: always; keras-lord's Orbax checkpoints need the JAX backend.

    """
    raise ValueError(
        f"Orbax checkpoints of keras-lord need the JAX backend, not "
        f"{keras.backend.backend()!r}, which trains in one process: use "
        "`file_format='weights_h5'` (the default there)."
    )


def held_whole(variables):
    """A context within which every process holds each of `variables` whole.

    Args:
        variables: the variables about to be read.

    Returns:
        A context that changes nothing: this backend trains in one process.

    """
    return contextlib.nullcontext()


def held_on_this_process(variables):
    """A context within which this process computes with `variables` alone.

    Args:
        variables: the variables the computation reads.

    Returns:
        A context that changes nothing: this backend trains in one process.

    """
    return contextlib.nullcontext()
