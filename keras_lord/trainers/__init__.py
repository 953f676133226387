"""Training of LORD with `keras.Model.fit`: the trainer, its stages and its optimisers."""

from keras_lord.trainers.adversarial_synthesis import AdversarialSynthesis
from keras_lord.trainers.amortization import Amortization
from keras_lord.trainers.compile_settings import CompileSettings
from keras_lord.trainers.latent_optimization import LatentOptimization
from keras_lord.trainers.lord_trainer import LordTrainer
from keras_lord.trainers.schedules import FitLengthCosineDecay
from keras_lord.trainers.stage_objective import StageObjective

__all__ = [
    "AdversarialSynthesis",
    "Amortization",
    "CompileSettings",
    "FitLengthCosineDecay",
    "LatentOptimization",
    "LordTrainer",
    "StageObjective",
]
