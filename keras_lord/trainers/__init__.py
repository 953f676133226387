"""Training of LORD with `keras.Model.fit`."""

from keras_lord.trainers.lord_trainer import LordTrainer
from keras_lord.trainers.schedules import FitLengthCosineDecay

__all__ = ["FitLengthCosineDecay", "LordTrainer"]
