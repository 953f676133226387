import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_lord")
class PatchMatmulConv2D(keras.layers.Conv2D):
    """`Conv2D` that runs as one matmul over patches when the input is smaller than the kernel.

    XLA's CPU compiler rewrites a convolution whose kernel is spatially larger than its
    input (VGG16's 3x3 block-5 convolutions on the 2x2 maps of a 32x32 image) into a form
    that falls back to a naive loop: 40x slower than a matmul of the same size, and most of
    a JAX training step at 32x32 on CPU. Under the JAX backend this layer computes such
    convolutions as a single matmul of the `kernel_height * kernel_width * channels`
    patches with the flattened kernel. Otherwise (on TensorFlow, whose oneDNN convolution
    is faster than the matmul there, for inputs at least as large as the kernel, and for
    strides, dilations, `"valid"` padding or channels-first data) it is exactly
    `keras.layers.Conv2D`, with the same weights and config.

    Args:
        **kwargs: the arguments of `keras.layers.Conv2D` (`filters`, `kernel_size`, ...).

    Example:
    ```python
    layer = keras_lord.layers.PatchMatmulConv2D(512, 3, padding="same")
    features = layer(np.zeros((8, 2, 2, 512), "float32"))  # (8, 2, 2, 512)
    ```

    """

    def convolution_op(self, inputs, kernel):
        height, width = inputs.shape[1:3]
        kernel_height, kernel_width = self.kernel_size
        plain = (
            keras.backend.backend() != "jax"
            or self.padding != "same"
            or self.data_format != "channels_last"
            or tuple(self.strides) != (1, 1)
            or tuple(self.dilation_rate) != (1, 1)
            or self.groups != 1
            or height is None
            or width is None
            or (height >= kernel_height and width >= kernel_width)
        )
        if plain:
            return super().convolution_op(inputs, kernel)
        # "same" padding puts the extra row and column after the input, as ops.conv does.
        top, left = (kernel_height - 1) // 2, (kernel_width - 1) // 2
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
