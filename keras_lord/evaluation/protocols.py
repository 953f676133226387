"""The former single module of the evaluation, kept so that its imports keep working.

Everything here is defined in `keras_lord.evaluation.pairs`, `probes`, `transfer` and
`report`; import it from `keras_lord.evaluation` instead.
"""

import warnings

from keras_lord.evaluation import (
    MIN_CODES,
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

warnings.warn(
    "`keras_lord.evaluation.protocols` is deprecated: import from `keras_lord.evaluation`.",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "MIN_CODES",
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
