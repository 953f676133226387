"""`Conv2D` computed as matmuls where the feature map is smaller than the kernel."""

import functools
import itertools

import keras
from keras import ops

from keras_lord import backend
from keras_lord.layers.input_gradient import stride1_convolution
from keras_lord.layers.same_convolution import (
    is_plain_same_convolution,
    same_padding_before,
)


@keras.saving.register_keras_serializable(package="keras_lord")
class PatchMatmulConv2D(keras.layers.Conv2D):
    """`Conv2D` that runs as matmuls when the feature map is smaller than the kernel.

    VGG16's block-5 convolutions see 2x2 maps at 32x32 images: a 3x3 "same" convolution
    there spends 20 of its 36 tap products per sample on padding zeros, and XLA's CPU
    compiler turns a convolution whose kernel is larger than its input into a naive loop,
    many times slower than a matmul of the same size. This layer computes such
    convolutions as matmuls, with the same weights, config and results as
    `keras.layers.Conv2D`:

    - when the map has fewer pixels than the kernel has taps (`height * width <
      kernel_height * kernel_width`; 2x2 and 1x1 maps under a 3x3 kernel), as one small
      matmul for each pair of input and output pixels that a kernel tap links, summed per
      output pixel: no products with padding, and no copy of the kernel. On every backend;
      it made LORD's training step a few percent faster than oneDNN's convolution, too
      (`docs/performance.md`);
    - otherwise, when the kernel is larger than the map along one axis and the backend
      runs such convolutions slowly (`keras_lord.backend.overhanging_kernels_as_matmul`:
      under JAX), as one matmul of the `kernel_height * kernel_width * in` patches with the
      flattened kernel;
    - otherwise, as `keras.ops.conv`, its input gradient computed as
      `keras_lord.layers.input_gradient()` says (a forward convolution where the
      backend's own is slow); for strides, dilations, groups, `"valid"` padding or
      channels-first data exactly as `keras.layers.Conv2D`.

    It takes the arguments of `keras.layers.Conv2D` (`filters`, `kernel_size`, ...), and
    no others.

    Example:
    ```python
    layer = keras_lord.layers.PatchMatmulConv2D(512, 3, padding="same")
    features = layer(np.zeros((8, 2, 2, 512), "float32"))  # (8, 2, 2, 512)
    ```

    """

    def convolution_op(self, inputs, kernel):
        height, width = inputs.shape[1:3]
        kernel_height, kernel_width = self.kernel_size
        if not is_plain_same_convolution(self, inputs.shape):
            return super().convolution_op(inputs, kernel)
        if height * width < kernel_height * kernel_width:
            return self._map_matmul(inputs, kernel)
        if (height < kernel_height or width < kernel_width) and (
            backend.overhanging_kernels_as_matmul()
        ):
            return self._patch_matmul(inputs, kernel)
        return stride1_convolution(inputs, kernel, "same")

    def _map_matmul(self, inputs, kernel):
        height, width = inputs.shape[1:3]
        kernel_height, kernel_width = self.kernel_size
        top, left = same_padding_before(self.kernel_size)
        taps = ops.reshape(kernel, (kernel_height * kernel_width, -1, self.filters))
        pixels = ops.unstack(ops.reshape(inputs, (-1, height * width, inputs.shape[-1])), axis=1)
        outputs = []
        # One small matmul per (input pixel, output pixel) pair that a kernel tap links: no
        # products with padding, and no copy of the kernel.
        for out_row, out_col in itertools.product(range(height), range(width)):
            terms = []
            for in_row, in_col in itertools.product(range(height), range(width)):
                row, column = in_row - out_row + top, in_col - out_col + left
                if 0 <= row < kernel_height and 0 <= column < kernel_width:
                    terms.append(
                        ops.matmul(
                            pixels[in_row * width + in_col], taps[row * kernel_width + column]
                        )
                    )
            outputs.append(functools.reduce(ops.add, terms))
        return ops.reshape(ops.stack(outputs, axis=1), (-1, height, width, self.filters))

    def _patch_matmul(self, inputs, kernel):
        height, width = inputs.shape[1:3]
        kernel_height, kernel_width = self.kernel_size
        top, left = same_padding_before(self.kernel_size)
        padded = ops.pad(
            inputs,
            [
                (0, 0),
                (top, kernel_height - 1 - top),
                (left, kernel_width - 1 - left),
                (0, 0),
            ],
        )
        patches = ops.concatenate(
            [
                padded[:, row : row + height, column : column + width, :]
                for row in range(kernel_height)
                for column in range(kernel_width)
            ],
            axis=-1,
        )
        # The kernel is (height, width, in, out): row-major patches match its flattening.
        return ops.matmul(patches, ops.reshape(kernel, (-1, self.filters)))
