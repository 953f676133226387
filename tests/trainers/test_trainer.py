import json
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import run_python, tiny_trainer, to_numpy
from PIL import Image

from keras_lord import __version__
from keras_lord.callbacks import ResumableCheckpoint, TranslationGrid
from keras_lord.data import SyntheticObjects


def weights_by_path(trainer):
    """Network weights and latent tables (which row-wise updates keep out of
    `trainable_variables`)."""
    variables = trainer.trainable_variables + trainer.tables.variables_of_tables
    return {v.path: to_numpy(v).copy() for v in variables}


def optimizer_state(trainer):
    return [to_numpy(v).copy() for v in trainer.optimizer.variables]


def test_stage1_learns_and_content_codes_carry_little_class(tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    data = SyntheticObjects(num_classes=8, num_azimuths=8, num_elevations=1, seed=1).data()
    trainer = tiny_trainer(data, content_dim=32, class_dim=32)
    trainer.compile()
    tables_before = [trainer.tables.table(name).copy() for name in trainer.tables.factors]
    history = trainer.fit(data.inputs(), batch_size=16, epochs=30, verbose=0).history
    for name, before in zip(trainer.tables.factors, tables_before):
        moved = np.abs(trainer.tables.table(name) - before).max(axis=1)
        assert np.all(moved > 0), f"every row of the {name} table must have trained"
    first, last = history["reconstruction"][0], history["reconstruction"][-1]
    assert last < 0.8 * first, f"reconstruction only went {first:.3f} -> {last:.3f}"
    assert all(np.isfinite(history["loss"]))
    assert history["content_penalty"][-1] > 0
    codes = trainer.tables.table("content")
    accuracy = cross_val_score(
        LogisticRegression(max_iter=3000), codes, data.class_ids, cv=4
    ).mean()
    chance = 1 / data.num_classes
    assert accuracy < chance + 0.35, f"class from content codes: {accuracy:.2f} (chance {chance})"
    # Reconstructions of training images are close to them, pixel-wise.
    reconstructions = trainer.generate(data.class_ids[:16], np.arange(16))
    error = np.abs(reconstructions - data.float_images()[:16]).mean()
    blank = np.abs(data.float_images()[:16] - data.float_images()[:16].mean()).mean()
    assert error < blank


def test_uint8_and_float_inputs_give_the_same_loss(tiny_data):
    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    uint8_inputs = tiny_data.inputs()
    float_inputs = dict(uint8_inputs, image=tiny_data.float_images())
    a = trainer.evaluate(uint8_inputs, batch_size=16, verbose=0, return_dict=True)
    b = trainer.evaluate(float_inputs, batch_size=16, verbose=0, return_dict=True)
    np.testing.assert_allclose(a["reconstruction"], b["reconstruction"], rtol=1e-5)


def test_separate_learning_rates_and_cosine_decay(tiny_data):
    trainer = tiny_trainer(tiny_data)
    trainer.compile(learning_rate=0.0, latent_learning_rate=1e-2, final_learning_rate=0.0)
    assert trainer.learning_rates() == pytest.approx({"network_adam": 0.0, "latent_adam": 1e-2})
    before = weights_by_path(trainer)
    assert sum("embedding" in path for path in before) == 2, "both tables are compared"
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
    after = weights_by_path(trainer)
    for path in before:
        moved = not np.array_equal(before[path], after[path])
        assert moved == ("embedding" in path), path
    # The cosine ends at the final rate after epochs * steps_per_epoch steps.
    assert trainer.learning_rates()["latent_adam"] == pytest.approx(0.0, abs=1e-9)

    trainer.compile(learning_rate=1e-3, latent_learning_rate=1e-2, final_learning_rate=1e-4)
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=2, verbose=0)
    assert trainer.learning_rates() == pytest.approx(
        {"network_adam": 1e-4, "latent_adam": 1e-4}, rel=1e-4
    )


def test_fit_accepts_tf_data_and_pydataset(tiny_data):
    import tensorflow as tf

    inputs = tiny_data.inputs()

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            part = slice(index * 8, (index + 1) * 8)
            return {key: value[part] for key, value in inputs.items()}

    def trained(x, **fit_args):
        trainer = tiny_trainer(tiny_data)
        # The targets' features computed in the step on every input, as a dataset has them,
        # and the content codes' own start, which a dataset keeps (arrays would get PCA's).
        trainer.compile(target_feature_cache="off", content_initialization="random")
        before = weights_by_path(trainer)
        loss = trainer.fit(x, epochs=1, verbose=0, **fit_args).history["loss"][0]
        assert int(to_numpy(trainer.optimizer.iterations)) == 2
        after = weights_by_path(trainer)
        assert all(not np.array_equal(before[path], after[path]) for path in before)
        return loss, after

    # The arrays in their order, in batches of 8: the two batches that the dataset and the
    # PyDataset below hold. The same steps from the same start end with the same weights.
    expected_loss, expected_weights = trained(inputs, batch_size=8, shuffle=False)
    dataset = tf.data.Dataset.from_tensor_slices(inputs).batch(8)
    for x, fit_args in ((dataset, {}), (Batches(), {"shuffle": False})):
        loss, weights = trained(x, **fit_args)
        assert loss == pytest.approx(expected_loss, rel=1e-5), type(x).__name__
        for path, value in expected_weights.items():
            np.testing.assert_allclose(weights[path], value, atol=1e-6, err_msg=path)


def test_fit_rejects_bad_input_early(tiny_data):
    trainer = tiny_trainer(tiny_data)
    with pytest.raises(RuntimeError, match="compile"):
        trainer.fit(tiny_data.inputs())
    trainer.compile()
    inputs = tiny_data.inputs()
    with pytest.raises(ValueError, match="sample_id"):
        trainer.fit({k: v for k, v in inputs.items() if k != "sample_id"})
    with pytest.raises(ValueError, match="built for"):
        trainer.fit(dict(inputs, image=np.zeros((16, 16, 16, 3), "uint8")))
    with pytest.raises(ValueError, match="class_id"):
        trainer.fit(dict(inputs, class_id=inputs["class_id"] + 10))
    with pytest.raises(ValueError, match="divide by 255"):
        trainer.fit(dict(inputs, image=inputs["image"].astype("float32")))
    with pytest.raises(ValueError, match="only `x`"):
        trainer.fit(inputs, inputs["image"])
    with pytest.raises(TypeError, match="dict of arrays"):
        trainer.fit(inputs["image"])


def test_save_and_load_in_a_fresh_process(tiny_data, tmp_path):
    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "lord.keras"
    trainer.save(path)
    assert not list(tmp_path.glob(".*partial*"))
    class_ids, sample_ids = np.array([0, 1, 2, 3]), np.array([5, 2, 9, 0])
    expected = trainer.generate(class_ids, sample_ids)
    output = run_python(
        "import numpy as np, keras, keras_lord\n"
        f"model = keras.saving.load_model({str(path)!r})\n"
        "assert isinstance(model, keras_lord.LordTrainer)\n"
        f"images = model.generate({class_ids.tolist()}, {sample_ids.tolist()})\n"
        f"np.save({str(tmp_path / 'out.npy')!r}, images)\n"
        "print(sorted(model.learning_rates()))\n",
        cwd=tmp_path,
    )
    assert "network_adam" in output, "the compile state must load too"
    # Equal to float rounding: oneDNN may pick other kernels in another process.
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, atol=1e-6)
    with pytest.raises(FileExistsError):
        trainer.save(path, overwrite=False)


def test_loaded_model_continues_training(tiny_data, tmp_path):
    fit_args = dict(batch_size=8, epochs=1, shuffle=False, verbose=0)
    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    trainer.fit(tiny_data.inputs(), **fit_args)
    trainer.save(tmp_path / "lord.keras")
    saved = weights_by_path(trainer)
    loaded = keras.saving.load_model(tmp_path / "lord.keras")
    for a, b in zip(trainer.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    # The loaded copy takes the steps the original takes from where both are.
    expected = trainer.fit(tiny_data.inputs(), **fit_args).history
    history = loaded.fit(tiny_data.inputs(), **fit_args).history
    assert history["loss"][0] == pytest.approx(expected["loss"][0], rel=1e-5)
    steps = -(-tiny_data.num_samples // 8)
    assert int(to_numpy(loaded.optimizer.iterations)) == 2 * steps, "its step count goes on"
    assert loaded.learning_rates() == pytest.approx(trainer.learning_rates())
    continued, expected_weights = weights_by_path(loaded), weights_by_path(trainer)
    for path, value in expected_weights.items():
        assert not np.array_equal(continued[path], saved[path]), f"{path} did not train"
        np.testing.assert_allclose(continued[path], value, atol=2e-5, err_msg=path)


class CrashAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt("simulated crash")


# Orbax checkpoints need JAX's arrays; weights files serve every backend.
FILE_FORMATS = ["weights_h5"] + (["orbax"] if keras.backend.backend() == "jax" else [])


@pytest.mark.parametrize("file_format", FILE_FORMATS)
def test_interrupted_fit_resumes_where_it_stopped(tiny_data, tmp_path, file_format, monkeypatch):
    inputs = tiny_data.inputs()
    # A folder given relative to the working directory, as `keras-lord train --out run` does.
    monkeypatch.chdir(tmp_path)
    fit_args = dict(batch_size=8, shuffle=False, verbose=0)

    straight = tiny_trainer(tiny_data)
    straight.compile()
    straight.fit(inputs, epochs=3, **fit_args)

    directory = Path("checkpoint")
    crashed = tiny_trainer(tiny_data)
    crashed.compile()
    checkpoint = ResumableCheckpoint(directory, file_format=file_format)
    with pytest.raises(KeyboardInterrupt):
        crashed.fit(inputs, epochs=3, callbacks=[checkpoint, CrashAt(2)], **fit_args)
    state = json.loads((directory / "state.json").read_text())
    assert state["epoch"] == 2 and (directory / state["weights"]).exists()
    assert state["format"] == file_format
    assert [path.name for path in directory.glob("epoch_*")] == [state["weights"]]

    # What a kill during Orbax's write of epoch 3 would leave: removed at the next start,
    # and a file keras-lord did not write kept.
    cut_off = directory / "epoch_0003.orbax.orbax-checkpoint-tmp-1796682718"
    cut_off.mkdir()
    (directory / "notes.txt").write_text("mine")

    resumed = tiny_trainer(tiny_data)
    resumed.compile()
    # The format that wrote the checkpoint reads it, whatever the new callback would write.
    history = resumed.fit(inputs, epochs=3, callbacks=[ResumableCheckpoint(directory)], **fit_args)
    assert history.epoch == [2], "only the unfinished epoch runs again"
    assert not cut_off.exists() and (directory / "notes.txt").read_text() == "mine"
    resumed_weights = weights_by_path(resumed)
    assert sum("embedding" in path for path in resumed_weights) == 2
    for path, value in weights_by_path(straight).items():
        np.testing.assert_allclose(resumed_weights[path], value, atol=2e-5, err_msg=path)
    # The optimisers' state too: step counters, network and table moments.
    for a, b in zip(optimizer_state(straight), optimizer_state(resumed)):
        np.testing.assert_allclose(b, a, atol=2e-5)
    assert len(optimizer_state(resumed)) > 4
    assert resumed.fit(inputs, epochs=1, **fit_args).epoch == [0], "a later fit starts afresh"


def test_checkpoint_formats_are_checked_when_named():
    with pytest.raises(ValueError, match="`file_format` must be one of.*'orbax'"):
        ResumableCheckpoint("unused", file_format="npz")
    if keras.backend.backend() != "jax":
        with pytest.raises(ValueError, match="need the JAX backend.*'weights_h5'"):
            ResumableCheckpoint("unused", file_format="orbax")


# Keras warns about each part of the saved file that fits no layer or optimizer, then fails.
@pytest.mark.filterwarnings("ignore:Skipping")
@pytest.mark.parametrize("file_format", FILE_FORMATS)
def test_checkpoint_of_another_model_fails_clearly(tiny_data, tmp_path, file_format):
    directory = tmp_path / "checkpoint"

    def fit_with_checkpoint(trainer, epochs):
        trainer.compile()
        trainer.fit(
            tiny_data.inputs(),
            batch_size=8,
            epochs=epochs,
            verbose=0,
            callbacks=[ResumableCheckpoint(directory, file_format=file_format)],
        )

    fit_with_checkpoint(tiny_trainer(tiny_data), epochs=1)
    state = json.loads((directory / "state.json").read_text())
    assert state["keras_lord_version"] == __version__
    files = sorted(path for path in directory.rglob("*") if path.is_file())
    before = [path.read_bytes() for path in files]
    # A generator of another width, as a model of another version or setting would be.
    with pytest.raises(ValueError, match="does not fit this model.*remove"):
        fit_with_checkpoint(tiny_trainer(tiny_data, adain_dim=8), epochs=2)
    assert sorted(path for path in directory.rglob("*") if path.is_file()) == files
    assert [path.read_bytes() for path in files] == before, "the checkpoint is left as it was"


def test_translation_grid_png(tiny_data, tmp_path):
    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    grid = TranslationGrid(
        tiny_data.inputs(), tmp_path, num_class_sources=3, num_content_sources=5, scale=1
    )
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=2, callbacks=[grid], verbose=0)
    files = sorted(p.name for p in tmp_path.glob("*.png"))
    assert files == ["translations_epoch_0001.png", "translations_epoch_0002.png"]
    picture = np.asarray(Image.open(tmp_path / files[-1]))
    size = tiny_data.image_shape[0]
    assert picture.shape == (4 * (size + 2) + 2, 6 * (size + 2) + 2, 3)
    # Row headers are images of distinct classes.
    assert len(set(grid.class_sources["class_id"].tolist())) == 3
    # The first content-source header equals the source image itself.
    np.testing.assert_array_equal(
        picture[2 : 2 + size, size + 4 : 2 * size + 4], grid.content_sources["image"][0]
    )


def test_xla_follows_auto(tiny_data):
    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        has_accelerator = any(d.device_type != "CPU" for d in tf.config.list_physical_devices())
        # oneDNN convolutions are ~4x faster than XLA's on CPU: keep XLA off there.
        assert trainer.jit_compile is has_accelerator
    else:
        assert trainer.jit_compile is True
    trainer.compile(jit_compile=False)
    assert trainer.jit_compile is False


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="JAX always compiles")
def test_the_tensorflow_rowwise_step_trains_under_xla(tiny_data):
    # What Keras picks on a GPU. Without the content noise (whose random draws differ
    # under XLA) both compilations see the same batches; two epochs, so that table rows
    # written in the first are read again in the second.
    losses = []
    for jit_compile in (False, True):
        trainer = tiny_trainer(tiny_data, content_regularization="none")
        trainer.compile(jit_compile=jit_compile, table_updates="rowwise")
        history = trainer.fit(tiny_data.inputs(), batch_size=8, epochs=2, verbose=0).history
        losses.append(history["loss"])
    assert losses[1][1] < losses[1][0]
    # Measured: 1e-7 and 5e-6 relative.
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)


def test_fit_on_arrays_runs_whole_epochs(tiny_data):
    # Under TensorFlow, numpy inputs go through one repeating dataset for all epochs.
    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    history = trainer.fit(tiny_data.inputs(), batch_size=5, epochs=3, verbose=0)
    assert history.epoch == [0, 1, 2]
    steps = -(-tiny_data.num_samples // 5)
    assert int(to_numpy(trainer.optimizer.iterations)) == 3 * steps
