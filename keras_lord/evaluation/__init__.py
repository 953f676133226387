"""The paper's evaluation protocols: content transfer, leakage and reconstruction."""

from keras_lord.evaluation.protocols import (
    content_transfer_error,
    evaluate_model,
    ground_truth_pairs,
    image_errors,
    leakage,
    probe_accuracy,
)

__all__ = [
    "content_transfer_error",
    "evaluate_model",
    "ground_truth_pairs",
    "image_errors",
    "leakage",
    "probe_accuracy",
]
