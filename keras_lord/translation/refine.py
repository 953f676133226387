"""Translation with the class encoder's codes refined on the class images."""

import inspect

from keras_lord.translation.method import TranslationMethod
from keras_lord.translation.test_time_optimization import refine_class_codes


class RefinedTranslation(TranslationMethod):
    """Class codes refined on the class images (`refine_class_codes`); content encoded.

    Best for classes not seen in training: the image corrects what the class encoder,
    trained on few classes, misses. Needs stage 2.
    """

    name = "refine"
    help = "the class codes refined on the class images (for classes not seen in training)"
    steps_flag = "--refine-steps"
    steps_default = inspect.signature(refine_class_codes).parameters["steps"].default

    def codes(self, model, class_images, content_images, batch_size, **arguments):
        distinct, inverse = self.distinct(class_images)
        class_codes = refine_class_codes(model, distinct, **arguments)[inverse]
        return class_codes, model.encode_content(content_images, batch_size)

    def trainer_arguments(self, trainer):
        return {"perceptual_loss": trainer.perceptual_loss}
