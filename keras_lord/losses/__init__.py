"""Losses of LORD."""

from keras_lord.losses.vgg_perceptual_loss import DEFAULT_FEATURE_LAYERS, VGGPerceptualLoss

__all__ = ["DEFAULT_FEATURE_LAYERS", "VGGPerceptualLoss"]
