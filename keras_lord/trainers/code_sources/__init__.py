"""Where stage 1 takes its codes from, by name: `LordTrainer(stage1_codes=...)`.

To add a source, write a `CodeSource` subclass in a module of this package and register it
below.
"""

from keras_lord.trainers.code_sources.amortized import AmortizedCodes, class_means
from keras_lord.trainers.code_sources.base import CodeSource
from keras_lord.trainers.code_sources.semi_amortized import SemiAmortizedCodes
from keras_lord.trainers.code_sources.tables import TableCodes
from keras_lord.utils.registry import Registry

CODE_SOURCES = Registry("stage-1 code source", "stage1_codes")
for _source in (TableCodes, SemiAmortizedCodes, AmortizedCodes):
    CODE_SOURCES.register(_source())


def get_code_source(name: str) -> CodeSource:
    """The registered stage-1 code source of a name.

    Args:
        name: `"tables"` (LORD), `"semi_amortized"` or `"amortized"` (the paper's Table 3
            ablations), or any other registered name.

    Returns:
        The `CodeSource`.

    Raises:
        ValueError: naming the registered sources, for any other name.

    """
    return CODE_SOURCES.get(name)


__all__ = [
    "CODE_SOURCES",
    "AmortizedCodes",
    "CodeSource",
    "SemiAmortizedCodes",
    "TableCodes",
    "class_means",
    "get_code_source",
]
