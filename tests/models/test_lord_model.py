import json
import zipfile

import h5py
import keras
import numpy as np
import pytest
from conftest import run_python, tiny_trainer, to_numpy

import keras_lord
from keras_lord.models import LordModel
from keras_lord.translation.latent_code_fitter import LatentCodeFitter


def weight_paths(path):
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        archive.extract("model.weights.h5", path.parent / path.stem)
    with h5py.File(path.parent / path.stem / "model.weights.h5") as weights:
        paths = []
        weights.visititems(lambda name, item: paths.append(name))
    return config, paths


def test_trainer_saves_a_deployable_model_without_training_state(tiny_data, tmp_path):
    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
    trainer.save(tmp_path / "trainer.keras")
    trainer.model.save(tmp_path / "model.keras")
    config, paths = weight_paths(tmp_path / "model.keras")
    assert config["class_name"] == "LordModel"
    assert not [p for p in paths if "embedding" in p or "vgg" in p or "optimizer" in p]
    _, trainer_paths = weight_paths(tmp_path / "trainer.keras")
    assert any("embedding" in p for p in trainer_paths)
    assert any("vgg" in p for p in trainer_paths)
    size = (tmp_path / "model.keras").stat().st_size
    assert size < (tmp_path / "trainer.keras").stat().st_size

    # keras_lord.load gives the same LordModel from either file (a fresh process reloads
    # LordModel files in test_shared_harness.py).
    codes = np.random.default_rng(0).normal(size=(2, 16)).astype("float32")
    expected = trainer.decode(codes, codes)
    for name in ("model.keras", "trainer.keras"):
        model = keras_lord.load(tmp_path / name)
        assert isinstance(model, LordModel), (name, type(model))
        np.testing.assert_allclose(model.decode(codes, codes), expected, atol=1e-6)


def test_model_refuses_encoding_before_stage2_and_checks_images(tiny_data):
    model = tiny_trainer(tiny_data).model
    assert not model.encoders_trained
    with pytest.raises(RuntimeError, match="optimize_codes"):
        model.encode_class(tiny_data.images[:2])
    with pytest.raises(ValueError, match="Resize"):
        model.check_images(np.zeros((2, 8, 8, 3), "uint8"))
    with pytest.raises(ValueError, match="class codes"):
        LordModel(
            model.generator,
            keras_lord.models.LordEncoder(model.image_shape, model.class_dim + 1),
            model.content_encoder,
        )


def test_a_given_model_is_trained_and_sizes_must_not_be_given(tiny_data):
    model = tiny_trainer(tiny_data).model
    trainer = tiny_trainer(
        tiny_data,
        model=model,
        image_shape=None,
        adain_dim=None,
        content_dim=None,
        class_dim=None,
    )
    assert trainer.model is model and trainer.content_dim == model.content_dim
    with pytest.raises(ValueError, match="sizes come from the model"):
        tiny_trainer(tiny_data, model=model)


def test_translate_by_optimisation_fits_once_and_checks_each_image_once(tiny_data, monkeypatch):
    trainer = tiny_trainer(tiny_data)
    fits, checks = [], []
    original_fit, original_check = LatentCodeFitter.fit_codes, LordModel.check_images

    def counting_fit(self, images, *arguments, **keywords):
        fits.append(len(images))
        return original_fit(self, images, *arguments, **keywords)

    def counting_check(self, images, name="images"):
        checks.append(name)
        return original_check(self, images, name)

    monkeypatch.setattr(LatentCodeFitter, "fit_codes", counting_fit)
    monkeypatch.setattr(LordModel, "check_images", counting_check)
    output = trainer.translate(
        tiny_data.images[:3], tiny_data.images[3:6], method="optimize", steps=2, batch_size=6
    )
    assert output.shape == (3,) + tiny_data.image_shape
    assert fits == [6], "one fit over the class and the content images"
    assert checks == ["class_images", "content_images"]


def test_code_fitter_seeds_its_tables_as_the_trainer_does(tiny_data):
    trainer = tiny_trainer(tiny_data)  # class_dim == content_dim == 16
    fitter = LatentCodeFitter(trainer.generator, trainer.perceptual_loss, 4, 4, seed=3)
    class_rows = fitter.tables.table("class")
    content_rows = fitter.tables.table("content")
    assert not np.array_equal(class_rows, content_rows)
    reference = keras_lord.tables.FactorTables.for_lord(4, 4, 16, 16, seed=3)
    np.testing.assert_array_equal(class_rows, reference.table("class"))
    np.testing.assert_array_equal(content_rows, reference.table("content"))


def test_factor_tables_gather_and_pair_row_gradients():
    tables = keras_lord.tables.FactorTables.for_lord(5, 7, class_dim=3, content_dim=2, seed=0)
    inputs = {"class_id": np.array([4, 0]), "sample_id": np.array([6, 6])}
    rows = tables.gather(inputs)
    np.testing.assert_array_equal(to_numpy(rows["class_code"]), tables.table("class")[[4, 0]])
    updates = tables.row_updates(inputs, {"class_code": 1, "content_code": 2})
    assert [(u[0].path, u[2]) for u in updates] == [
        (tables.tables["class"].embeddings.path, 1),
        (tables.tables["content"].embeddings.path, 2),
    ]
    assert tables.id_ranges == {"class_id": 5, "sample_id": 7}
    import re

    assert re.fullmatch(tables.variable_pattern, tables.tables["content"].embeddings.path)
    assert not re.fullmatch(tables.variable_pattern, "generator/dense/kernel")
    with pytest.raises(ValueError, match="id key"):
        keras_lord.tables.FactorTables({"class": tables.tables["class"]}, {})
    assert keras.saving.serialize_keras_object(tables)["registered_name"] == (
        "keras_lord>FactorTables"
    )


# TF warns at most twice per process of this alarm: each side runs in a fresh interpreter.
RETRACING_ALARMS = """
import logging
import keras, numpy as np
from keras_lord.utils.quiet_predict import predict_quietly

class Recorder(logging.Handler):
    alarms = 0

    def emit(self, record):
        Recorder.alarms += "triggered tf.function retracing" in record.getMessage()

logger = logging.getLogger("tensorflow")
filters = list(logger.filters)
logger.addHandler(Recorder())
inputs = np.zeros((3, 4), "float32")
for _ in range(7):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    if MODE == "quietly":
        assert predict_quietly(model, inputs, batch_size=2).shape == (3, 2)
    else:
        model.predict(inputs, verbose=0)
assert logger.filters == filters
print(Recorder.alarms)
"""


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the alarm is TensorFlow's")
def test_predicting_with_many_models_raises_no_false_retracing_alarm(tmp_path):
    """TF warns of retracing when five models each predict once; keras-lord's predicts don't."""
    plain, quiet = (
        int(run_python(f"MODE = {mode!r}\n" + RETRACING_ALARMS, tmp_path))
        for mode in ("plainly", "quietly")
    )
    assert plain > 0 and quiet == 0
