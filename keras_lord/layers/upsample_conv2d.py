"""Nearest-neighbour upsampling and a "same" convolution, computed on the map before it."""

import keras
import numpy as np
from keras import ops

from keras_lord import backend
from keras_lord.layers.same_convolution import (
    is_plain_same_convolution,
    same_padding_before,
)
from keras_lord.utils.checks import positive_integer


def _phase_taps(kernel_size: int, upsampling: int) -> tuple:
    """How the taps of a "same" convolution of an upsampled axis fall on the original axis.

    Output pixel `upsampling * i + phase` reads, through tap `t`, the original pixel
    `i + (phase + t - before) // upsampling`, so several taps read the same pixel.

    Returns:
        `(starts, taps)`: the window of original pixels of phase `p` starts `starts[p]`
        pixels from `i`; `taps[p, w, t]` is 1 where tap `t` falls on pixel `w` of it.

    """
    before = same_padding_before((kernel_size, kernel_size))[0]
    offsets = np.array(
        [
            [(phase + tap - before) // upsampling for tap in range(kernel_size)]
            for phase in range(upsampling)
        ]
    )
    starts = offsets.min(axis=1)
    window = int((offsets.max(axis=1) - starts).max()) + 1
    taps = np.zeros((upsampling, window, kernel_size), "float32")
    for phase in range(upsampling):
        for tap in range(kernel_size):
            taps[phase, offsets[phase, tap] - starts[phase], tap] = 1.0
    return tuple(int(start) for start in starts), taps


def _transposed_taps(kernel_size: int, upsampling: int) -> np.ndarray:
    """The taps of the equal transposed convolution's kernel as sums of the original's.

    Returns:
        `(kernel_size + upsampling - 1, kernel_size)` matrix of 0 and 1: row `u` marks the
        run of `upsampling` original taps (fewer at the ends) summed into tap `u`.

    """
    taps = np.zeros((kernel_size + upsampling - 1, kernel_size), "float32")
    for tap in range(kernel_size + upsampling - 1):
        first = kernel_size - 1 - tap
        taps[tap, max(first, 0) : max(first + upsampling, 0)] = 1.0
    return taps


@keras.saving.register_keras_serializable(package="keras_lord")
class UpsampleConv2D(keras.layers.Conv2D):
    """Nearest-neighbour upsampling followed by `Conv2D`, computed without the upsampling.

    On a map upsampled by repeating each pixel, the taps of a "same" convolution that read
    copies of one pixel can share one summed weight. Each output phase (the pixel `(a, b)`
    of every `upsampling x upsampling` block) is then a small convolution of the original
    map: for a 3x3 kernel and `upsampling=2`, 2x2 taps instead of 3x3, so the layer
    multiplies 4/9 as many numbers as upsampling and convolving. Weights and config are
    those of `keras.layers.Conv2D`, plus `upsampling`; the kernel is the 3x3 (or
    `kernel_size`) kernel of the convolution after the upsampling.

    Two equal forms; the backend runs the one that ran LORD's training step faster on it
    (`keras_lord.backend.upsampled_convolution_form`; figures in `docs/performance.md`):

    * `"transposed"` (TensorFlow): one transposed convolution with stride `upsampling` and
      a `kernel_size + upsampling - 1` kernel summed from the layer's
      (`transposed_convolution`);
    * `"phase"` (JAX, whose CPU compiler runs transposed convolutions slowly, and other
      backends): one convolution of the original map to `upsampling**2 * filters` channels
      whose phases are cut out and interleaved (`phase_convolution`).

    They apply to `"same"` padding, unit strides and dilation, one group, odd kernel sizes
    and channels-last data of known height and width; otherwise the layer upsamples and
    convolves.

    Args:
        upsampling: factor of the nearest-neighbour upsampling of both spatial axes.
            Defaults to `2`.
        **kwargs: the arguments of `keras.layers.Conv2D` (`filters`, `kernel_size`, ...).

    Raises:
        ValueError: if `upsampling` is not a positive integer.

    Example:
    ```python
    layer = keras_lord.layers.UpsampleConv2D(64, 3, padding="same")
    outputs = layer(np.zeros((8, 16, 16, 64), "float32"))  # (8, 32, 32, 64)
    ```

    """

    def __init__(self, *args, upsampling: int = 2, **kwargs):
        super().__init__(*args, **kwargs)
        self.upsampling = positive_integer("upsampling", upsampling)

    def convolution_op(self, inputs, kernel):
        if not self.skips_upsampling(inputs.shape):
            return super().convolution_op(self._upsample(inputs), kernel)
        if backend.upsampled_convolution_form() == "transposed":
            return self.transposed_convolution(inputs, kernel)
        return self.phase_convolution(inputs, kernel)

    def skips_upsampling(self, input_shape) -> bool:
        """Whether a call on inputs of this shape convolves without upsampling first.

        Args:
            input_shape: `(batch, height, width, channels)` of the map before upsampling.

        Returns:
            `True` for `upsampling >= 2`, `"same"` padding, unit strides and dilation, one
            group, odd kernel sizes and channels-last data of known height and width.

        """
        return (
            self.upsampling >= 2
            and all(size % 2 == 1 for size in self.kernel_size)
            and is_plain_same_convolution(self, input_shape)
        )

    def transposed_convolution(self, inputs, kernel):
        """The convolution of the upsampled `inputs` as one transposed convolution.

        Args:
            inputs: `(batch, height, width, in)`, the map before upsampling.
            kernel: `(kernel_height, kernel_width, in, filters)`, odd sizes.

        Returns:
            `(batch, upsampling * height, upsampling * width, filters)`: the `"same"`
            convolution of the upsampled map, without bias or activation.

        """
        rows, columns = (_transposed_taps(size, self.upsampling) for size in self.kernel_size)
        # Taps are summed in float32 so that a bfloat16 kernel is rounded once, not per sum.
        transposed_kernel = ops.einsum(
            "ut,vr,trio->uvoi", rows, columns, ops.cast(kernel, "float32")
        )
        return ops.conv_transpose(
            inputs,
            ops.cast(transposed_kernel, kernel.dtype),
            strides=self.upsampling,
            padding="same",
        )

    def phase_convolution(self, inputs, kernel):
        """The same result as `transposed_convolution`, computed per output phase.

        Args:
            inputs: the map before upsampling, as for `transposed_convolution`.
            kernel: the kernel, as for `transposed_convolution`.

        Returns:
            The `"same"` convolution of the upsampled map, without bias or activation.

        """
        factor = self.upsampling
        height, width, channels = inputs.shape[1:]
        (row_starts, row_taps), (column_starts, column_taps) = (
            _phase_taps(size, factor) for size in self.kernel_size
        )
        phase_kernel = ops.einsum(
            "awr,bvc,rcio->wviabo", row_taps, column_taps, ops.cast(kernel, "float32")
        )
        window_height, window_width = row_taps.shape[1], column_taps.shape[1]
        phase_kernel = ops.reshape(
            phase_kernel, (window_height, window_width, channels, factor * factor * self.filters)
        )
        top, left = -min(row_starts), -min(column_starts)
        padded = ops.pad(
            inputs,
            [
                (0, 0),
                (top, max(row_starts) + window_height - 1),
                (left, max(column_starts) + window_width - 1),
                (0, 0),
            ],
        )
        # Output row r holds the window starting r - top rows from the original row 0.
        outputs = ops.conv(padded, ops.cast(phase_kernel, kernel.dtype), padding="valid")
        outputs = ops.reshape(outputs, outputs.shape[:3] + (factor, factor, self.filters))
        rows = []
        for row_phase, row_start in enumerate(row_starts):
            phases = [
                outputs[
                    :,
                    top + row_start : top + row_start + height,
                    left + column_start : left + column_start + width,
                    row_phase,
                    column_phase,
                ]
                for column_phase, column_start in enumerate(column_starts)
            ]
            rows.append(ops.stack(phases, axis=3))
        interleaved = ops.stack(rows, axis=2)
        return ops.reshape(interleaved, (-1, factor * height, factor * width, self.filters))

    def _spatial_axes(self):
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def _upsample(self, inputs):
        for axis in self._spatial_axes():
            inputs = ops.repeat(inputs, self.upsampling, axis=axis)
        return inputs

    def compute_output_shape(self, input_shape):
        input_shape = list(input_shape)
        for axis in self._spatial_axes():
            if input_shape[axis] is not None:
                input_shape[axis] *= self.upsampling
        return super().compute_output_shape(tuple(input_shape))

    def get_config(self):
        config = super().get_config()
        config.update({"upsampling": self.upsampling})
        return config
