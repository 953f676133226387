"""Deprecated path of `keras_lord.losses.reconstruction`."""

from keras_lord.utils.deprecation import moved_names

__getattr__ = moved_names(
    __name__,
    {"latent_optimization_loss": ("keras_lord.losses.reconstruction", "latent_optimization_loss")},
)
