import keras
import numpy as np
import pytest
from conftest import to_numpy

from keras_lord import get_preset
from keras_lord.models import LordGenerator


def codes(batch, content_dim, class_dim, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "content_code": rng.normal(size=(batch, content_dim)).astype("float32"),
        "class_code": rng.normal(size=(batch, class_dim)).astype("float32"),
    }


@pytest.mark.parametrize("preset", ["paper", "small"])
def test_preset_shapes_and_range(preset):
    settings = get_preset(preset)
    generator = LordGenerator(**{k: v for k, v in settings.items() if k != "noise_std"})
    images = to_numpy(generator(codes(2, settings["content_dim"], settings["class_dim"])))
    assert images.shape == (2,) + settings["image_shape"]
    assert images.min() >= 0.0 and images.max() <= 1.0


def test_paper_preset_parameter_count():
    settings = {k: v for k, v in get_preset("paper").items() if k != "noise_std"}
    # DESIGN.md: about 8.1 M generator parameters at 64x64x3.
    assert 8.0e6 < LordGenerator(**settings).count_params() < 8.2e6


def test_grayscale_and_rectangular():
    generator = LordGenerator(
        image_shape=(16, 24, 1), content_dim=8, class_dim=4, adain_dim=8, num_adain_layers=2
    )
    assert to_numpy(generator(codes(3, 8, 4))).shape == (3, 16, 24, 1)


def test_class_code_changes_the_image():
    generator = LordGenerator(
        image_shape=(16, 16, 3), content_dim=8, class_dim=4, adain_dim=8, num_adain_layers=2
    )
    inputs = codes(2, 8, 4)
    other = dict(inputs, class_code=inputs["class_code"][::-1])
    assert not np.allclose(to_numpy(generator(inputs)), to_numpy(generator(other)))


@pytest.mark.parametrize(
    "shape, message",
    [((30, 32, 3), "multiples"), ((32, 32, 2), "1 or 3 channels"), ((32, 32), "height, width")],
)
def test_bad_image_shapes(shape, message):
    with pytest.raises(ValueError, match=message):
        LordGenerator(image_shape=shape, num_adain_layers=2)


def test_config_roundtrip_and_save(tmp_path):
    generator = LordGenerator(
        image_shape=(16, 16, 3),
        content_dim=8,
        class_dim=4,
        adain_dim=8,
        num_adain_layers=2,
        negative_slope=0.3,
    )
    clone = LordGenerator.from_config(generator.get_config())
    assert clone.get_config() == generator.get_config()
    path = tmp_path / "generator.keras"
    generator.save(path)
    loaded = keras.saving.load_model(path)
    inputs = codes(2, 8, 4)
    np.testing.assert_allclose(to_numpy(loaded(inputs)), to_numpy(generator(inputs)), atol=1e-6)
