"""keras-lord: LORD class/content disentanglement for Keras 3."""

from keras_lord import (
    backbones,
    callbacks,
    data,
    evaluation,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    trainers,
)
from keras_lord.presets import PRESETS, get_preset
from keras_lord.saving import load
from keras_lord.trainers.lord_trainer import LordTrainer
from keras_lord.version import __version__

__all__ = [
    "PRESETS",
    "LordTrainer",
    "__version__",
    "backbones",
    "callbacks",
    "data",
    "evaluation",
    "get_preset",
    "layers",
    "load",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "trainers",
]
