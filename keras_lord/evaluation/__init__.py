"""The paper's evaluation protocols: content transfer, leakage and reconstruction.

`pairs` draws the translation pairs, `transfer` scores translations of them, `probes`
reads labels back from the codes, `image_quality` gives FID and KID, and `report` runs
all of them on a model.
"""

from keras_lord.evaluation.image_quality import (
    frechet_distance,
    frechet_distance_from_statistics,
    image_quality,
    inception_features,
    kernel_inception_distance,
)
from keras_lord.evaluation.pairs import draw_pairs, ground_truth_pairs, nearest_landmark_pairs
from keras_lord.evaluation.probes import (
    MIN_CODES,
    TooFewCodesError,
    landmark_regression,
    leakage,
    probe_accuracy,
)
from keras_lord.evaluation.report import evaluate_model
from keras_lord.evaluation.transfer import (
    class_identity_accuracy,
    class_transfer_error,
    content_transfer_error,
    image_errors,
)

__all__ = [
    "MIN_CODES",
    "TooFewCodesError",
    "class_identity_accuracy",
    "class_transfer_error",
    "content_transfer_error",
    "draw_pairs",
    "evaluate_model",
    "frechet_distance",
    "frechet_distance_from_statistics",
    "ground_truth_pairs",
    "image_errors",
    "image_quality",
    "inception_features",
    "kernel_inception_distance",
    "landmark_regression",
    "leakage",
    "nearest_landmark_pairs",
    "probe_accuracy",
]
