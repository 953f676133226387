"""Translation methods, by name: `LordModel.translate(..., method=...)`, and test-time fits.

To add a method, write a `TranslationMethod` subclass in a module of this package and
register it below.
"""

from keras_lord.translation.encoders import EncoderTranslation
from keras_lord.translation.method import TranslationMethod
from keras_lord.translation.optimize import OptimizedTranslation
from keras_lord.translation.refine import RefinedTranslation
from keras_lord.translation.test_time_optimization import optimize_codes, refine_class_codes
from keras_lord.utils.registry import Registry

TRANSLATION_METHODS = Registry("translation method", "method")
for _method in (EncoderTranslation, RefinedTranslation, OptimizedTranslation):
    TRANSLATION_METHODS.register(_method())


def get_translation_method(name: str) -> TranslationMethod:
    """The registered translation method of a name.

    Args:
        name: `"encoders"`, `"refine"`, `"optimize"` or any other registered name.

    Returns:
        The `TranslationMethod`.

    Raises:
        ValueError: naming the registered methods, for any other name.

    """
    return TRANSLATION_METHODS.get(name)


__all__ = [
    "TRANSLATION_METHODS",
    "EncoderTranslation",
    "OptimizedTranslation",
    "RefinedTranslation",
    "TranslationMethod",
    "get_translation_method",
    "optimize_codes",
    "refine_class_codes",
]
