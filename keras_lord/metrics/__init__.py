"""Metrics: LPIPS."""

from keras_lord.metrics.lpips import LPIPS, lpips

__all__ = ["LPIPS", "lpips"]
