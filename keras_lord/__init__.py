"""keras-lord: LORD class/content disentanglement for Keras 3."""

# Before anything imports TensorFlow, which chooses its CPU kernels when it is imported, and
# before JAX's first computation, when XLA reads its flags.
from keras_lord.utils.cpu import prefer_tensorflow_onednn, prefer_xla_eigen_convolutions

prefer_tensorflow_onednn()
prefer_xla_eigen_convolutions()

from keras_lord import (
    backbones,
    backend,
    callbacks,
    clustering,
    data,
    datasets,
    distribution,
    evaluation,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    saving,
    tables,
    trainers,
)
from keras_lord.clustering import StyleClusterLabeler, StyleTranslator
from keras_lord.models.lord_model import LordModel
from keras_lord.presets import PRESETS, get_preset
from keras_lord.saving import load, load_trainer
from keras_lord.trainers.lord_trainer import LordTrainer
from keras_lord.version import __version__

__all__ = [
    "PRESETS",
    "LordModel",
    "LordTrainer",
    "StyleClusterLabeler",
    "StyleTranslator",
    "__version__",
    "backbones",
    "backend",
    "callbacks",
    "clustering",
    "data",
    "datasets",
    "distribution",
    "evaluation",
    "get_preset",
    "layers",
    "load",
    "load_trainer",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "saving",
    "tables",
    "trainers",
]
