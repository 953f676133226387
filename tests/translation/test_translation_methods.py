"""Translation methods: every registered one renders through `translate`; a new one is a class."""

import numpy as np
import pytest
from conftest import tiny_trainer

from keras_lord.cli import build_parser
from keras_lord.translation import TRANSLATION_METHODS, TranslationMethod


@pytest.fixture(scope="module")
def stage2_model(tiny_data):
    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
    trainer.start_stage2()
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
    return trainer


def test_trainer_supplies_its_settings_to_each_method(stage2_model):
    assert TRANSLATION_METHODS.get("encoders").trainer_arguments(stage2_model) == {}
    refine = TRANSLATION_METHODS.get("refine").trainer_arguments(stage2_model)
    assert refine == {"perceptual_loss": stage2_model.perceptual_loss}
    optimize = TRANSLATION_METHODS.get("optimize").trainer_arguments(stage2_model)
    assert optimize["noise_std"] == stage2_model.noise_std and optimize["seed"] == 3


def test_a_new_method_is_one_class_and_one_registration(stage2_model, tiny_data):
    class SwappedEncoders(TranslationMethod):
        """The class of the content image and the content of the class image."""

        name = "swapped"

        def codes(self, model, class_images, content_images, batch_size, **arguments):
            return model.encode_class(content_images), model.encode_content(class_images)

    TRANSLATION_METHODS.register(SwappedEncoders())
    try:
        first, second = tiny_data.images[:2], tiny_data.images[4:6]
        swapped = stage2_model.translate(first, second, method="swapped")
        np.testing.assert_allclose(swapped, stage2_model.translate(second, first), atol=1e-6)
        assert (
            "swapped"
            in build_parser()
            .parse_args(["translate", "--model", "m", "--out", "o", "--method", "swapped"])
            .method
        )
    finally:
        TRANSLATION_METHODS._variants.pop("swapped")
