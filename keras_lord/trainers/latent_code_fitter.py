"""Deprecated path of `keras_lord.translation.latent_code_fitter`."""

from keras_lord.utils.deprecation import moved_names

__getattr__ = moved_names(
    __name__,
    {"LatentCodeFitter": ("keras_lord.translation.latent_code_fitter", "LatentCodeFitter")},
)
