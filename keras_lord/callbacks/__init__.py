"""Callbacks: translation grids, crash-safe resumable checkpoints, a guard on the loss."""

from keras_lord.callbacks.finite_loss_guard import FiniteLossGuard, NonFiniteLossError
from keras_lord.callbacks.resumable_checkpoint import ResumableCheckpoint
from keras_lord.callbacks.translation_grid import TranslationGrid

__all__ = ["FiniteLossGuard", "NonFiniteLossError", "ResumableCheckpoint", "TranslationGrid"]
