import keras
import numpy as np
import pytest
from conftest import run_python, tiny_trainer

from keras_lord.backend.keras_compat import adam_slots
from keras_lord.optimizers import RowwiseAdam

BETA_1, BETA_2, EPSILON, LEARNING_RATE = 0.5, 0.999, 1e-7, 0.01


def lazy_adam_reference(table, steps):
    """Numpy row-wise Adam: rows outside a step's batch keep value and moments."""
    table = table.copy()
    momentum, velocity = np.zeros_like(table), np.zeros_like(table)
    for step, (row_ids, gradients) in enumerate(steps, start=1):
        summed = {}
        for row, gradient in zip(row_ids, gradients):
            summed[row] = summed.get(row, 0) + gradient
        alpha = LEARNING_RATE * np.sqrt(1 - BETA_2**step) / (1 - BETA_1**step)
        for row, gradient in summed.items():
            momentum[row] = BETA_1 * momentum[row] + (1 - BETA_1) * gradient
            velocity[row] = BETA_2 * velocity[row] + (1 - BETA_2) * gradient**2
            table[row] -= alpha * momentum[row] / (np.sqrt(velocity[row]) + EPSILON)
    return table, momentum, velocity


def random_steps(rng, rows, dim, count=3):
    # Repeated rows, as class ids repeat within a batch.
    return [
        (np.array([1, 4, 1, 6, 4, 1], "int32"), rng.normal(size=(6, dim)).astype("float32"))
        if step == 0
        else (rng.integers(0, rows, 5).astype("int32"), rng.normal(size=(5, dim)).astype("float32"))
        for step in range(count)
    ]


def new_optimizer():
    return RowwiseAdam(LEARNING_RATE, beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON)


def test_apply_rows_matches_lazy_adam_and_leaves_other_rows_untouched():
    rng = np.random.default_rng(0)
    initial = rng.normal(size=(10, 3)).astype("float32")
    steps = random_steps(rng, 10, 3)
    table = keras.Variable(initial)
    optimizer = new_optimizer()
    optimizer.build([table])
    for row_ids, gradients in steps:
        optimizer.apply_rows([(table, row_ids, gradients)])

    expected, momentum, velocity = lazy_adam_reference(initial, steps)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(table), expected, rtol=1e-5, atol=1e-6)
    momentum_slot, velocity_slot = adam_slots(optimizer, table)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(momentum_slot), momentum, rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(velocity_slot), velocity, rtol=1e-5, atol=1e-9
    )
    untouched = sorted(set(range(10)) - {int(row) for row_ids, _ in steps for row in row_ids})
    assert untouched, "the test needs rows that no step looks up"
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(table)[untouched], initial[untouched])
    assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == 3


def test_dense_gradients_give_the_same_update_as_rows():
    rng = np.random.default_rng(1)
    initial = rng.normal(size=(8, 4)).astype("float32")
    steps = random_steps(rng, 8, 4, count=2)
    by_rows, by_dense = keras.Variable(initial), keras.Variable(initial)
    row_optimizer, dense_optimizer = new_optimizer(), new_optimizer()
    row_optimizer.build([by_rows])
    for row_ids, gradients in steps:
        row_optimizer.apply_rows([(by_rows, row_ids, gradients)])
        dense = np.zeros_like(initial)
        np.add.at(dense, row_ids, gradients)
        dense_optimizer.apply([dense], [by_dense])
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(by_rows), keras.ops.convert_to_numpy(by_dense), rtol=1e-6
    )


def test_unbuilt_table_and_config():
    optimizer = new_optimizer()
    optimizer.build([keras.Variable(np.zeros((3, 2), "float32"))])
    stranger = keras.Variable(np.zeros((3, 2), "float32"))
    with pytest.raises(ValueError, match="was not built with the table"):
        optimizer.apply_rows([(stranger, np.array([0]), np.ones((1, 2), "float32"))])
    restored = RowwiseAdam.from_config(optimizer.get_config())
    assert (restored.beta_1, restored.beta_2, restored.epsilon) == (BETA_1, BETA_2, EPSILON)


def test_trainer_updates_only_the_batch_rows_by_default(tiny_data):
    batches = [
        {key: value[start : start + 4] for key, value in tiny_data.inputs().items()}
        for start in (0, 4)
    ]
    moved = {}
    for mode in ("rowwise", "dense"):
        trainer = tiny_trainer(tiny_data)
        trainer.compile(table_updates=mode) if mode == "dense" else trainer.compile()
        tables = trainer.tables.variables_of_tables
        assert all(table.trainable == (mode == "dense") for table in tables)
        assert (trainer.table_optimizer is not None) == (mode == "rowwise")
        for batch in batches:
            trainer.train_on_batch(batch)
        # After the second batch, rows of the first have not been looked up again.
        before = keras.ops.convert_to_numpy(trainer.content_embedding.embeddings)
        trainer.train_on_batch(batches[1])
        after = keras.ops.convert_to_numpy(trainer.content_embedding.embeddings)
        moved[mode] = set(np.flatnonzero(np.abs(after - before).max(axis=1) > 0).tolist())
    assert moved["rowwise"] == set(batches[1]["sample_id"].tolist())
    # Dense Adam keeps moving the first batch's rows on their momentum.
    assert set(batches[0]["sample_id"].tolist()) <= moved["dense"]


def test_rowwise_state_saves_and_reloads(tiny_data, tmp_path):
    import keras_lord

    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    trainer.fit(tiny_data.inputs(), batch_size=4, epochs=1, verbose=0)
    trainer.save(tmp_path / "model.keras")
    loaded = keras_lord.load_trainer(tmp_path / "model.keras")
    for original, restored in zip(
        trainer.table_optimizer.variables, loaded.table_optimizer.variables
    ):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(original), keras.ops.convert_to_numpy(restored)
        )
    assert loaded.get_compile_config()["table_updates"] == "rowwise"


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.distribute only")
def test_rowwise_refuses_several_tensorflow_replicas(tmp_path):
    code = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras_lord
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    trainer = keras_lord.LordTrainer(num_classes=2, num_samples=4, preset="small", adain_dim=8,
        perceptual_loss=keras_lord.losses.VGGPerceptualLoss(vgg_weights=None,
        feature_layers=("block1_conv2",)))
    try:
        trainer.compile()
    except ValueError as error:
        print("refused:", error)
    trainer.compile(table_updates="dense")
    print("dense compiled")
"""
    output = run_python(code, tmp_path)
    assert "refused: Row-wise table updates run on one TensorFlow replica" in output
    assert "this strategy has 2" in output
    assert "dense compiled" in output
