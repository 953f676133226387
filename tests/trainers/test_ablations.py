"""The paper's Table 3 ablations: KL or no content regularisation, (semi-)amortised stage 1."""

import keras
import numpy as np
import pytest
from conftest import tiny_trainer

from keras_lord.layers import VariationalContentEmbedding
from keras_lord.saving import load_trainer
from keras_lord.trainers.code_sources import class_means


def test_variational_embedding_samples_around_its_means_and_adds_the_kl_term():
    layer = VariationalContentEmbedding(num_samples=6, dim=4, decay=0.5, seed=1)
    ids = np.arange(6)
    means = keras.ops.convert_to_numpy(layer(ids))
    rows = keras.ops.convert_to_numpy(layer.embeddings)
    np.testing.assert_allclose(means, rows[:, :4])
    np.testing.assert_allclose(rows[:, 4:], 0.0)
    expected = 0.5 * np.mean(0.5 * np.sum(rows[:, :4] ** 2, axis=-1))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.losses[-1]), expected, rtol=1e-5)

    log_variances = np.full((6, 4), np.log(0.25), "float32")
    layer.embeddings.assign(np.concatenate([rows[:, :4], log_variances], axis=-1))
    draws = np.stack([keras.ops.convert_to_numpy(layer(ids, training=True)) for _ in range(2000)])
    # 2000 draws of std 0.5: both tolerances are over 4 standard errors.
    np.testing.assert_allclose(draws.mean(0), rows[:, :4], atol=0.05)
    np.testing.assert_allclose(draws.std(0), 0.5, atol=0.04)

    again = VariationalContentEmbedding.from_config(layer.get_config())
    assert (again.num_samples, again.dim, again.decay, again.seed) == (6, 4, 0.5, 1)


def test_class_means_share_one_code_within_each_class():
    codes = np.random.default_rng(0).normal(size=(7, 3)).astype("float32")
    classes = np.array([0, 2, 0, 2, 2, 1, 0])
    shared = keras.ops.convert_to_numpy(class_means(codes, classes, num_classes=4))
    for index, label in enumerate(classes):
        np.testing.assert_allclose(shared[index], codes[classes == label].mean(0), rtol=1e-5)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"content_regularization": "dropout"}, "content_regularization"),
        ({"stage1_codes": "encoders"}, "stage1_codes"),
        ({"stage1_codes": "semi_amortized", "content_regularization": "kl"}, "'noise'"),
        ({"stage1_codes": "amortized", "attributes": {"smiling": 2}}, "attribute"),
    ],
)
def test_bad_ablation_settings_are_refused(tiny_data, overrides, message):
    with pytest.raises(ValueError, match=message):
        tiny_trainer(tiny_data, **overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        {"content_regularization": "kl"},
        {"content_regularization": "none"},
        {"stage1_codes": "semi_amortized"},
        {"stage1_codes": "amortized"},
    ],
    ids=["kl", "no_regularization", "semi_amortized", "amortized"],
)
def test_each_ablation_learns_saves_and_reloads(tiny_data, tmp_path, overrides):
    trainer = tiny_trainer(tiny_data, **overrides)
    trainer.compile()
    inputs = tiny_data.inputs()
    losses = trainer.fit(inputs, batch_size=4, epochs=6, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]
    if overrides.get("stage1_codes") == "amortized":
        with pytest.raises(RuntimeError, match="no stage 2"):
            trainer.start_stage2()
    else:
        trainer.start_stage2()
        trainer.fit(inputs, batch_size=4, epochs=1, verbose=0)
    images = tiny_data.images[:4]
    translated = trainer.translate(images, images[::-1])
    path = tmp_path / "ablation.keras"
    trainer.save(path)
    again = load_trainer(path)
    assert again.get_config()["stage1_codes"] == trainer.stage1_codes
    assert again.get_config()["content_regularization"] == trainer.content_regularization
    np.testing.assert_allclose(again.translate(images, images[::-1]), translated, atol=1e-5)
