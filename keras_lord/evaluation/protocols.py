"""The former single module of the evaluation, kept so that its imports keep working.

Everything here is defined in `keras_lord.evaluation.pairs`, `probes`, `transfer` and
`report`; import it from `keras_lord.evaluation` instead.
"""

import warnings

from keras_lord import evaluation
from keras_lord.evaluation import *  # noqa: F403 (the old module's names, one list of them)

warnings.warn(
    "`keras_lord.evaluation.protocols` is deprecated: import from `keras_lord.evaluation`.",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = list(evaluation.__all__)
