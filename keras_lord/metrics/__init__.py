"""Metrics: LPIPS as a layer (a distance per image pair) and as a Keras metric."""

from keras_lord.metrics.lpips import LPIPS, lpips
from keras_lord.metrics.lpips_metric import LPIPSMetric

__all__ = ["LPIPS", "LPIPSMetric", "lpips"]
