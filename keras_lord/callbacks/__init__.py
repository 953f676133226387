"""Callbacks: grids, crash-safe checkpoints, a loss guard, transfer error while training."""

from keras_lord.callbacks.finite_loss_guard import FiniteLossGuard, NonFiniteLossError
from keras_lord.callbacks.resumable_checkpoint import ResumableCheckpoint
from keras_lord.callbacks.transfer_evaluation import TransferEvaluation
from keras_lord.callbacks.translation_grid import TranslationGrid

__all__ = [
    "FiniteLossGuard",
    "NonFiniteLossError",
    "ResumableCheckpoint",
    "TransferEvaluation",
    "TranslationGrid",
]
