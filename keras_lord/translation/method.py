"""What a translation method is: how class and content codes of new images are found."""

import numpy as np


class TranslationMethod:
    """One way of finding the codes that `LordModel.translate` renders.

    A method is chosen by name with `translate(..., method=...)`; the registry is
    `keras_lord.translation.TRANSLATION_METHODS`.

    Attributes:
        name: the name it is registered under.
        help: what it does, for `keras-lord translate --help`.
        steps_flag: the option of `keras-lord translate` that sets its `steps`, if any.
        steps_default: that option's default (`None`: the method's own default).

    """

    name: str = ""
    help: str = ""
    steps_flag: str | None = None
    steps_default: int | None = None

    def codes(self, model, class_images, content_images, batch_size: int, **arguments) -> tuple:
        """`(class_codes, content_codes)` of checked images, one row per image of each side.

        Args:
            model: the `LordModel`.
            class_images: float32 images giving the classes, checked by the model.
            content_images: float32 images giving the contents, checked by the model.
            batch_size: images per batch.
            **arguments: the method's own arguments.

        Returns:
            `(class_codes, content_codes)` numpy arrays.

        """
        raise NotImplementedError

    def trainer_arguments(self, trainer) -> dict:
        """Defaults of the method's arguments that a `LordTrainer` supplies (its loss ...)."""
        return {}

    @staticmethod
    def distinct(images: np.ndarray) -> tuple:
        """`(distinct images, inverse)`: an image repeated across pairs is handled once."""
        distinct, inverse = np.unique(images.reshape(len(images), -1), axis=0, return_inverse=True)
        return distinct.reshape((-1,) + images.shape[1:]), inverse.reshape(-1)
