import numpy as np
import pytest
from harness import run_layer_test, run_model_saving_test

from keras_lord.models import LordDiscriminator


def test_discriminator_passes_the_shared_layer_checks(tmp_path):
    images = np.random.default_rng(0).uniform(size=(2, 16, 16, 3)).astype("float32")

    def make(**overrides):
        return LordDiscriminator((16, 16, 3), base_channels=4, max_channels=8, seed=1, **overrides)

    logits = run_layer_test(make, images)
    assert logits.shape == (2, 1)
    run_model_saving_test(make(), images, tmp_path)


@pytest.mark.parametrize(
    "preset, image_shape, blocks, last_channels",
    [
        ("small", (32, 32, 3), 3, 256),
        ("paper", (64, 64, 3), 4, 512),
        ("small", (64, 48, 1), 4, 256),
    ],
)
def test_preset_sets_width_and_the_image_sets_depth(preset, image_shape, blocks, last_channels):
    critic = LordDiscriminator.from_preset(preset, image_shape)
    names = [layer.name for layer in critic.layers]
    assert sum(name.startswith("pool_") for name in names) == blocks  # down to 4 pixels
    assert critic.get_layer("dense").units == last_channels
    assert critic.get_layer("input_conv").filters == (32 if preset == "small" else 64)


def test_discriminator_refuses_tiny_images_and_unknown_presets():
    with pytest.raises(ValueError, match="at least 8x8"):
        LordDiscriminator((4, 4, 3))
    with pytest.raises(ValueError, match="Unknown preset"):
        LordDiscriminator.from_preset("huge", (32, 32, 3))
