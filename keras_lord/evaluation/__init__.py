"""The paper's evaluation protocols: content transfer, leakage and reconstruction."""

from keras_lord.evaluation.protocols import (
    TooFewCodesError,
    class_identity_accuracy,
    class_transfer_error,
    content_transfer_error,
    evaluate_model,
    ground_truth_pairs,
    image_errors,
    landmark_regression,
    leakage,
    nearest_landmark_pairs,
    probe_accuracy,
)

__all__ = [
    "TooFewCodesError",
    "class_identity_accuracy",
    "class_transfer_error",
    "content_transfer_error",
    "evaluate_model",
    "ground_truth_pairs",
    "image_errors",
    "landmark_regression",
    "leakage",
    "nearest_landmark_pairs",
    "probe_accuracy",
]
