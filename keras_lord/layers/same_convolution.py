"""What the convolution layers' fast paths share: the convolutions they replace, argument checks."""

import keras


def is_plain_same_convolution(layer: keras.layers.Conv2D, input_shape) -> bool:
    """Whether a `Conv2D` computes a plain "same" convolution on a map of known size.

    Plain here means channels-last data, unit strides and dilation, and one group: the
    convolutions that `PatchMatmulConv2D`, `SpaceToDepthConv2D` and `UpsampleConv2D` can
    compute another way.

    Args:
        layer: the layer.
        input_shape: `(batch, height, width, channels)` of its input.

    Returns:
        `True` for such a convolution with a static height and width.

    """
    height, width = input_shape[1:3]
    return (
        layer.padding == "same"
        and layer.data_format == "channels_last"
        and tuple(layer.strides) == (1, 1)
        and tuple(layer.dilation_rate) == (1, 1)
        and layer.groups == 1
        and height is not None
        and width is not None
    )


def same_padding_before(kernel_size: tuple) -> tuple:
    """Rows and columns of zeros a "same" convolution puts before its input.

    For an even kernel the extra row and column go after the input, as `ops.conv` does.

    Args:
        kernel_size: `(kernel_height, kernel_width)`.

    Returns:
        `(top, left)`.

    """
    kernel_height, kernel_width = kernel_size
    return (kernel_height - 1) // 2, (kernel_width - 1) // 2
