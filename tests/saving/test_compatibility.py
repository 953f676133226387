"""Files written by keras-lord 0.1 (commit e3cb638) load and train on with this version.

`tests/data/` holds a stage-1 and a stage-2 `.keras` file and a stage-1 checkpoint that
0.1 wrote (with the largest encoder arrays zeroed to keep them small, see
`tests/data/README.md`), and what 0.1 computed from them.
"""

import json
import pathlib
import shutil

import keras
import numpy as np
import pytest
from conftest import to_numpy

import keras_lord
from keras_lord.callbacks import ResumableCheckpoint

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
# Other kernels (another backend, oneDNN's choice in another process) round differently.
ATOL = 2e-5


@pytest.fixture(scope="module")
def expected():
    with np.load(DATA / "legacy_expected.npz") as archive:
        return {key: archive[key] for key in archive.files}


def test_stage1_file_of_0_1_loads_with_tables_and_optimiser_state(expected):
    trainer = keras_lord.load_trainer(DATA / "legacy_stage1.keras")
    assert isinstance(trainer, keras_lord.LordTrainer) and trainer.stage == 1
    np.testing.assert_allclose(
        trainer.generate(expected["class_ids"], expected["sample_ids"]),
        expected["stage1_generated"],
        atol=ATOL,
    )
    np.testing.assert_array_equal(trainer.tables.table("class"), expected["stage1_class_table"])
    np.testing.assert_array_equal(trainer.tables.table("content"), expected["stage1_content_table"])
    momentum, _ = keras_lord.backend.keras_compat.adam_slots(
        trainer.table_optimizer, trainer.content_embedding.embeddings
    )
    np.testing.assert_array_equal(to_numpy(momentum), expected["stage1_table_momentum"])
    iterations = [int(to_numpy(o.iterations)) for o in trainer.optimizer.optimizers]
    assert iterations == expected["stage1_iterations"].tolist()
    # It trains on, and goes on to stage 2.
    inputs = {
        "image": expected["images"],
        "class_id": np.repeat(np.arange(3), 4).astype("int32"),
        "sample_id": np.arange(12, dtype="int32"),
    }
    history = trainer.fit(inputs, batch_size=4, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])
    trainer.start_stage2()
    assert trainer.model.encoders_trained


def test_stage2_file_of_0_1_loads_as_a_model(expected):
    model = keras_lord.load(DATA / "legacy_stage2.keras")
    assert isinstance(model, keras_lord.LordModel) and model.encoders_trained
    images = expected["images"]
    np.testing.assert_allclose(
        model.translate(images[:4], images[4:8]), expected["stage2_translated"], atol=ATOL
    )
    codes = np.full((2, 8), 0.1, "float32"), np.full((2, 8), -0.2, "float32")
    np.testing.assert_allclose(model.decode(*codes), expected["stage2_decoded"], atol=ATOL)
    # keras.saving.load_model reads it too, as the trainer it is.
    trainer = keras.saving.load_model(DATA / "legacy_stage2.keras")
    assert isinstance(trainer, keras_lord.LordTrainer) and trainer.stage == 2


def test_checkpoint_of_0_1_resumes(expected, tmp_path):
    directory = tmp_path / "checkpoint"
    shutil.copytree(DATA / "legacy_checkpoint", directory)
    state = json.loads((directory / "state.json").read_text())
    assert state["keras_lord_version"] == "0.1.0" and state["epoch"] == 2
    trainer = keras_lord.LordTrainer(
        num_classes=3,
        num_samples=12,
        preset="small",
        adain_dim=8,
        content_dim=8,
        class_dim=8,
        seed=1,
        perceptual_loss=keras.saving.load_model(DATA / "legacy_stage1.keras").perceptual_loss,
    )
    trainer.compile()
    inputs = {
        "image": expected["images"],
        "class_id": np.repeat(np.arange(3), 4).astype("int32"),
        "sample_id": np.arange(12, dtype="int32"),
    }
    seen = {}

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if not seen:
                seen["class"] = self.model.tables.table("class").copy()

    history = trainer.fit(
        inputs,
        batch_size=4,
        epochs=3,
        verbose=0,
        callbacks=[ResumableCheckpoint(directory), Record()],
    )
    assert history.epoch == [2], "the two epochs 0.1 finished are not run again"
    # The checkpoint of 0.1 holds the state after those epochs: the same as its stage-1 file.
    np.testing.assert_array_equal(seen["class"], expected["stage1_class_table"])
    assert json.loads((directory / "state.json").read_text())["keras_lord_version"] == (
        keras_lord.__version__
    )
