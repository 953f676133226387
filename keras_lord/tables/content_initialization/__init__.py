"""Where stage 1's content codes start, by name: `compile(content_initialization=...)`.

`"auto"` (the default) is `"pca"` where `fit` gets the images as arrays and `"random"`
for a streamed input (`choose_content_initialization`). To add a start, write a
`ContentInitialization` subclass in a module of this package and register it below.
"""

from keras_lord.tables.content_initialization.base import ContentInitialization
from keras_lord.tables.content_initialization.class_centred_pca import ClassCentredPCA
from keras_lord.tables.content_initialization.table_start import TableStart
from keras_lord.utils.registry import Registry

AUTO = "auto"
CONTENT_INITIALIZATIONS = Registry("content initialisation", "content_initialization")
for _start in (ClassCentredPCA(), TableStart()):
    CONTENT_INITIALIZATIONS.register(_start)
# What `content_initialization` and the command lines' `--content-init` accept.
CONTENT_INITIALIZATION_CHOICES = (AUTO, *CONTENT_INITIALIZATIONS.names())


def check_content_initialization(setting) -> None:
    """Refuses a setting that is neither `"auto"` nor a registered name.

    Args:
        setting: `compile`'s `content_initialization`.

    Raises:
        ValueError: naming the choices.

    """
    if setting != AUTO:
        try:
            CONTENT_INITIALIZATIONS.get(setting)
        except ValueError:
            raise ValueError(
                f"`content_initialization` must be 'auto' or one of "
                f"{CONTENT_INITIALIZATIONS.names()}; got {setting!r}."
            ) from None


def choose_content_initialization(setting: str, images_given: bool) -> ContentInitialization:
    """The content initialisation a `fit` uses.

    Args:
        setting: `compile`'s `content_initialization`: `"auto"` or a registered name.
        images_given: whether the `fit` input holds the images as arrays.

    Returns:
        The registered `ContentInitialization`: for `"auto"`, `"pca"` with images and
        `"random"` without.

    Raises:
        ValueError: for an unknown name, or a start that reads images without them, saying
            how to give them or which start to choose instead.

    """
    check_content_initialization(setting)
    if setting == AUTO:
        setting = ClassCentredPCA.name if images_given else TableStart.name
    start = CONTENT_INITIALIZATIONS.get(setting)
    if start.needs_images and not images_given:
        raise ValueError(
            f"`content_initialization={setting!r}` reads the training images, and this `fit` "
            "streams them: pass a dict of arrays (`LordData.inputs()`), call "
            "`trainer.initialize_content_codes(inputs)` with arrays before `fit`, or "
            "compile with `content_initialization='random'`."
        )
    return start


__all__ = [
    "CONTENT_INITIALIZATIONS",
    "CONTENT_INITIALIZATION_CHOICES",
    "ClassCentredPCA",
    "ContentInitialization",
    "TableStart",
    "check_content_initialization",
    "choose_content_initialization",
]
