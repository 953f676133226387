"""Content regularisers of stage 1, by name: `LordTrainer(content_regularization=...)`.

To add one, write a `ContentRegularizer` subclass in a module of this package and register
it below.
"""

from keras_lord.regularizers.base import ContentRegularizer
from keras_lord.regularizers.fixed_noise import FixedNoise
from keras_lord.regularizers.kl_divergence import KLDivergence
from keras_lord.regularizers.no_regularization import NoRegularization
from keras_lord.utils.registry import Registry

CONTENT_REGULARIZERS = Registry("content regulariser", "content_regularization")
for _regularizer in (FixedNoise, KLDivergence, NoRegularization):
    CONTENT_REGULARIZERS.register(_regularizer())


def get_content_regularizer(name: str) -> ContentRegularizer:
    """The registered content regulariser of a name.

    Args:
        name: `"noise"` (LORD), `"kl"` or `"none"` (the paper's Table 3 ablations), or any
            other registered name.

    Returns:
        The `ContentRegularizer`.

    Raises:
        ValueError: naming the registered regularisers, for any other name.

    """
    return CONTENT_REGULARIZERS.get(name)


__all__ = [
    "CONTENT_REGULARIZERS",
    "ContentRegularizer",
    "FixedNoise",
    "KLDivergence",
    "NoRegularization",
    "get_content_regularizer",
]
