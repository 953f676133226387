"""Translation by test-time latent optimisation of both codes: needs no stage 2."""

import inspect

import numpy as np

from keras_lord.translation.method import TranslationMethod
from keras_lord.translation.test_time_optimization import fit_codes, optimize_codes


class OptimizedTranslation(TranslationMethod):
    """Both codes fitted against the frozen generator (`optimize_codes`).

    One fit over both sets, each image its own class: the class codes of the class images
    and the content codes of the content images come out of it.
    """

    name = "optimize"
    help = "both codes fitted to the images against the generator (needs no stage 2)"
    steps_flag = "--optimize-steps"
    steps_default = inspect.signature(optimize_codes).parameters["steps"].default

    def codes(self, model, class_images, content_images, batch_size, **arguments):
        class_codes, content_codes = fit_codes(
            model,
            np.concatenate([class_images, content_images]),
            np.arange(len(class_images) + len(content_images)),
            **arguments,
        )
        return class_codes[: len(class_images)], content_codes[len(class_images) :]

    def trainer_arguments(self, trainer):
        return trainer.fitting_settings()
