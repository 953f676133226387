"""Callbacks: translation grids and crash-safe, resumable checkpoints."""

from keras_lord.callbacks.resumable_checkpoint import ResumableCheckpoint
from keras_lord.callbacks.translation_grid import TranslationGrid

__all__ = ["ResumableCheckpoint", "TranslationGrid"]
