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
        image_shape=(16, 24, 1),
        content_dim=8,
        class_dim=4,
        adain_dim=8,
        num_adain_layers=2,
        seed=0,
    )
    inputs = codes(3, 8, 4)
    images = to_numpy(generator(inputs))
    assert images.shape == (3, 16, 24, 1)
    assert np.isfinite(images).all() and images.min() >= 0.0 and images.max() <= 1.0
    # A picture, not one value everywhere, and another picture for other codes.
    assert (images.std(axis=(1, 2, 3)) > 0).all()
    assert not np.allclose(images[0], images[1]) and not np.allclose(images[1], images[2])
    np.testing.assert_array_equal(to_numpy(generator(inputs)), images)
    # Each image depends on its own codes alone: AdaIN normalises every sample by itself.
    for index in range(3):
        alone = {name: code[index : index + 1] for name, code in inputs.items()}
        np.testing.assert_allclose(to_numpy(generator(alone))[0], images[index], atol=1e-5)
    # The last AdaIN block gives each channel of each map the mean (bias) and the spread
    # (scale, shrunk by the variance epsilon) that the class modulation computed from that
    # sample's class code.
    probe = keras.Model(
        generator.input,
        [
            generator.get_layer(name).output
            for name in ("adain_lrelu_1", "adain_1", "class_modulation")
        ],
    )
    maps, features, modulation = (to_numpy(output) for output in probe(inputs))
    assert features.shape == (3, 16, 24, 8)
    scale, bias = modulation[:, 1, 0], modulation[:, 1, 1]
    assert np.abs(scale).mean() > 0.05, "scales of 0 would hide a wrong spread"
    variance = maps.astype("float64").var(axis=(1, 2))
    spread = np.abs(scale) * np.sqrt(variance / (variance + generator.adain_epsilon))
    np.testing.assert_allclose(features.mean(axis=(1, 2)), bias, atol=1e-4)
    np.testing.assert_allclose(features.std(axis=(1, 2)), spread, rtol=1e-3, atol=1e-5)
