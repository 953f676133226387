"""Building blocks of LORD: latent tables, AdaIN, the class modulation and fast convs."""

from keras_lord.layers.adain import AdaIN
from keras_lord.layers.class_modulation import ClassModulation
from keras_lord.layers.input_gradient import (
    input_gradient,
    set_input_gradient,
    timed_input_gradient,
)
from keras_lord.layers.noisy_content_embedding import NoisyContentEmbedding
from keras_lord.layers.patch_matmul_conv2d import PatchMatmulConv2D
from keras_lord.layers.shared_class_embedding import SharedClassEmbedding
from keras_lord.layers.space_to_depth_conv2d import (
    SpaceToDepthConv2D,
    blocked_convolution,
    set_blocked_convolution,
)
from keras_lord.layers.upsample_conv2d import UpsampleConv2D
from keras_lord.layers.variational_content_embedding import VariationalContentEmbedding

__all__ = [
    "AdaIN",
    "ClassModulation",
    "NoisyContentEmbedding",
    "PatchMatmulConv2D",
    "SharedClassEmbedding",
    "SpaceToDepthConv2D",
    "UpsampleConv2D",
    "VariationalContentEmbedding",
    "blocked_convolution",
    "input_gradient",
    "set_blocked_convolution",
    "set_input_gradient",
    "timed_input_gradient",
]
