"""`Conv2D` computed on blocks of pixels, for convolutions to very few channels."""

import itertools

import keras
import numpy as np
from keras import ops

from keras_lord import backend
from keras_lord.layers.input_gradient import TIMING_BATCH, stride1_convolution
from keras_lord.layers.same_convolution import (
    is_plain_same_convolution,
    same_padding_before,
)
from keras_lord.utils.checks import positive_integer
from keras_lord.utils.choice_setting import ChoiceSetting
from keras_lord.utils.cpu import cpu_flags, onednn_isa_admits, runs_on_cpu
from keras_lord.utils.tuning_cache import TuningCache

BLOCKED_CONVOLUTIONS = ("auto", "blocked", "plain", "timed")
# Read when no choice was made in code, e.g. to fix it for a whole command line run.
BLOCKED_CONVOLUTION_VARIABLE = "KERAS_LORD_BLOCKED_CONVOLUTION"
_setting = ChoiceSetting("blocked convolution", BLOCKED_CONVOLUTIONS, BLOCKED_CONVOLUTION_VARIABLE)
timed_forms = TuningCache("blocked_convolutions")


def set_blocked_convolution(choice: str | None) -> None:
    """Chooses whether `SpaceToDepthConv2D` layers compute on pixel blocks.

    Applies to layers traced after the call, as `set_input_gradient` does. The outputs
    are the same convolution either way; only the speed differs.

    Args:
        choice: `"auto"` (the default): on blocks where that was measured faster (on a
            CPU with oneDNN's AVX-512 kernels or with TensorFlow's own, oneDNN off), plainly
            elsewhere (oneDNN limited to AVX2, GPUs); `"blocked"`: always on
            blocks (where the layer can, see `SpaceToDepthConv2D`); `"plain"`: as
            `keras.layers.Conv2D`; `"timed"`: whichever form was faster when this shape
            was timed on this machine (at its first trace, then read from the
            per-machine cache, as for `set_input_gradient("timed")`). `None` goes back to
            the `KERAS_LORD_BLOCKED_CONVOLUTION` environment variable, or `"auto"`.

    Raises:
        ValueError: for any other value.

    Example:
    ```python
    keras_lord.layers.set_blocked_convolution("timed")
    ```

    """
    _setting.set(choice)


def blocked_convolution() -> str:
    """The form `SpaceToDepthConv2D` layers compute in now, with `"auto"` resolved.

    Returns:
        `"blocked"`, `"plain"`, or `"timed"` (chosen per shape by
        `SpaceToDepthConv2D.timed_form`).

    Raises:
        ValueError: if `KERAS_LORD_BLOCKED_CONVOLUTION` holds an unknown value.

    Example:
    ```python
    print(keras_lord.layers.blocked_convolution())  # "blocked" on an AVX-512 CPU
    ```

    """
    choice = _setting.value()
    return _form_by_rule() if choice == "auto" else choice


def _form_by_rule() -> str:
    # Timed per layer (docs/performance.md): blocks were faster with oneDNN's AVX-512
    # kernels and with TensorFlow's own, slower with oneDNN limited to AVX2.
    if backend.native_input_gradient_is_slow():
        return "blocked"
    avx512 = runs_on_cpu() and "avx512f" in cpu_flags() and onednn_isa_admits("512", "AMX")
    return "blocked" if avx512 else "plain"


def _block_offsets(kernel_size: int, offset: int, block_size: int) -> list:
    """Block-grid tap offsets `D` at which some pixel of a block reaches some kernel tap."""
    return [
        shift
        for shift in range(-kernel_size, kernel_size + 1)
        if any(
            0 <= block_size * shift + source - target + offset < kernel_size
            for source in range(block_size)
            for target in range(block_size)
        )
    ]


def _blocked_taps(kernel_size: tuple, block_size: int) -> tuple:
    """Maps the taps of a blocked "same" convolution to those of the original kernel.

    Returns:
        `(row_offsets, column_offsets, tap_of)`. `tap_of[i, j, source_row, source_col,
        target_row, target_col]` is the flat index of the kernel tap linking a source pixel
        of a block to a target pixel of the block `(row_offsets[i], column_offsets[j])`
        blocks away, or `kernel_height * kernel_width` (a zero tap) where none does.

    """
    kernel_height, kernel_width = kernel_size
    top, left = same_padding_before(kernel_size)
    rows = _block_offsets(kernel_height, top, block_size)
    columns = _block_offsets(kernel_width, left, block_size)
    tap_of = np.full(
        (len(rows), len(columns)) + (block_size,) * 4, kernel_height * kernel_width, "int32"
    )
    pixels = list(itertools.product(range(block_size), range(block_size)))
    for (i, row), (j, column) in itertools.product(enumerate(rows), enumerate(columns)):
        for (source_row, source_col), (target_row, target_col) in itertools.product(pixels, pixels):
            tap_row = block_size * row + source_row - target_row + top
            tap_col = block_size * column + source_col - target_col + left
            if 0 <= tap_row < kernel_height and 0 <= tap_col < kernel_width:
                tap_of[i, j, source_row, source_col, target_row, target_col] = (
                    tap_row * kernel_width + tap_col
                )
    return rows, columns, tap_of


@keras.saving.register_keras_serializable(package="keras_lord")
class SpaceToDepthConv2D(keras.layers.Conv2D):
    """`Conv2D` computed on blocks of pixels, for convolutions with very few output channels.

    A convolution with 3 output channels (the last layer of an image generator) keeps the
    vector units of a CPU mostly idle: oneDNN runs LORD's final 7x7 convolution, 64 -> 3
    channels, at a fraction of the throughput of its other convolutions. This layer
    moves each `block_size x block_size` block of pixels into channels, convolves the
    smaller map with a kernel rearranged from its own (for 7x7 and blocks of 2: 4x4 taps,
    `4 * in -> 4 * out` channels) and moves the channels back. The result is the same
    convolution, with the same weights and config as `keras.layers.Conv2D`; it multiplies
    1.3x as many numbers, in shapes the matrix units fill, which made LORD's training step
    a little faster where the blocks pay (`docs/performance.md` has the figures).

    It can apply where the backend's kernels may run blocks faster
    (`keras_lord.backend.blocked_convolutions_can_pay`: under TensorFlow; XLA's CPU
    compiler ran the blocked form slower than the plain one) with `"same"` padding, unit
    strides and dilation, one group, channels-last data and a height and width divisible
    by `block_size` (the blocked convolution's input gradient computed as
    `keras_lord.layers.input_gradient()` says); otherwise the layer is exactly
    `keras.layers.Conv2D`. Whether it does is `keras_lord.layers.blocked_convolution()`:
    by default only on CPUs where it was measured faster (AVX-512 kernels, or TensorFlow's
    own with oneDNN off), not with oneDNN's AVX2 kernels, where it was slower;
    `set_blocked_convolution("timed")` times both forms per shape.

    Args:
        block_size: side of the pixel blocks. Defaults to `2`.
        **kwargs: the arguments of `keras.layers.Conv2D` (`filters`, `kernel_size`, ...).

    Raises:
        ValueError: if `block_size` is not a positive integer.

    Example:
    ```python
    layer = keras_lord.layers.SpaceToDepthConv2D(3, 7, padding="same")
    images = layer(np.zeros((8, 32, 32, 64), "float32"))  # (8, 32, 32, 3)
    ```

    """

    def __init__(self, *args, block_size: int = 2, **kwargs):
        super().__init__(*args, **kwargs)
        self.block_size = positive_integer("block_size", block_size)

    def convolution_op(self, inputs, kernel):
        if self.computes_on_blocks(inputs.shape):
            return self.blocked_convolution(inputs, kernel)
        return super().convolution_op(inputs, kernel)

    def computes_on_blocks(self, input_shape) -> bool:
        """Whether a call on inputs of this shape runs on pixel blocks.

        Args:
            input_shape: `(batch, height, width, channels)`.

        Returns:
            `True` where `keras_lord.backend.blocked_convolutions_can_pay()` (under
            TensorFlow), for `"same"` padding, unit strides and dilation, one group,
            channels-last data and a height and width known and divisible by
            `block_size`, where `blocked_convolution()` chooses blocks
            (`"timed"`: where `timed_form` does).

        """
        height, width = input_shape[1:3]
        if not (
            backend.blocked_convolutions_can_pay()
            and self.block_size >= 2
            and is_plain_same_convolution(self, input_shape)
            and height % self.block_size == 0
            and width % self.block_size == 0
        ):
            return False
        choice = blocked_convolution()
        if choice == "timed":
            choice = self.timed_form(input_shape)
        return choice == "blocked"

    def timed_form(self, input_shape) -> str:
        """The faster form of this layer's convolution for inputs of this shape, here.

        The first call for a shape times both forms (forward pass and the gradients with
        respect to inputs and kernel, best of 3, at `TIMING_BATCH` images where the batch
        size is not known) and stores the times and the choice in the per-machine cache
        (`keras_lord.utils.tuning_cache`); later calls, in this process or another on the
        same machine and settings, read it from there.

        Args:
            input_shape: `(batch, height, width, channels)`; `batch` may be `None`.

        Returns:
            `"blocked"` or `"plain"`; the `"auto"` rule's answer where the backend times
            nothing (where blocks cannot pay, the layer never computes on them).

        Example:
        ```python
        layer = keras_lord.layers.SpaceToDepthConv2D(3, 7, padding="same")
        print(layer.timed_form((None, 32, 32, 64)))
        ```

        """
        batch, height, width, channels = input_shape
        timed_shape = (batch or TIMING_BATCH, height, width, channels)
        kernel_shape = (*self.kernel_size, channels, self.filters)
        dtype = self.compute_dtype
        key = f"{self.block_size}:{dtype}:{timed_shape}:{kernel_shape}"
        candidates = {
            "blocked": self.blocked_convolution,
            "plain": lambda inputs, kernel: ops.conv(inputs, kernel, padding="same"),
        }
        choice = timed_forms.faster(
            key,
            lambda: backend.time_convolutions(
                candidates, timed_shape, kernel_shape, dtype, kernel_gradient=True
            ),
        )
        return choice or _form_by_rule()

    def blocked_convolution(self, inputs, kernel):
        """The layer's convolution, without bias or activation, computed on pixel blocks.

        Args:
            inputs: `(batch, height, width, in)`, height and width divisible by `block_size`.
            kernel: `(kernel_height, kernel_width, in, filters)`.

        Returns:
            `(batch, height, width, filters)`: the `"same"` convolution of `inputs`.

        """
        height, width = inputs.shape[1:3]
        block = self.block_size
        channels = inputs.shape[-1]
        num_taps = self.kernel_size[0] * self.kernel_size[1]
        rows, columns, tap_of = _blocked_taps(self.kernel_size, block)
        taps = ops.concatenate(
            [
                ops.reshape(kernel, (num_taps, channels, self.filters)),
                ops.zeros((1, channels, self.filters), kernel.dtype),
            ]
        )
        blocked_kernel = ops.transpose(ops.take(taps, tap_of, axis=0), (0, 1, 2, 3, 6, 4, 5, 7))
        blocked_kernel = ops.reshape(
            blocked_kernel,
            (len(rows), len(columns), block * block * channels, block * block * self.filters),
        )
        blocked = self._to_blocks(inputs)
        blocked = ops.pad(
            blocked, [(0, 0), (-rows[0], rows[-1]), (-columns[0], columns[-1]), (0, 0)]
        )
        outputs = stride1_convolution(blocked, blocked_kernel, "valid")
        return self._from_blocks(outputs, height, width)

    def _to_blocks(self, inputs):
        block = self.block_size
        height, width, channels = inputs.shape[1:]
        inputs = ops.reshape(inputs, (-1, height // block, block, width // block, block, channels))
        return ops.reshape(
            ops.transpose(inputs, (0, 1, 3, 2, 4, 5)),
            (-1, height // block, width // block, block * block * channels),
        )

    def _from_blocks(self, outputs, height, width):
        block = self.block_size
        outputs = ops.reshape(
            outputs, (-1, height // block, width // block, block, block, self.filters)
        )
        return ops.reshape(
            ops.transpose(outputs, (0, 1, 3, 2, 4, 5)), (-1, height, width, self.filters)
        )

    def get_config(self):
        config = super().get_config()
        config.update({"block_size": self.block_size})
        return config
