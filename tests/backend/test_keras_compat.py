"""Each private Keras name keras-lord relies on, checked against the installed Keras.

A failure here means a Keras release renamed or changed one of them: mend
`keras_lord/backend/keras_compat.py` and the bound on keras in `pyproject.toml`.
"""

import keras
import numpy as np
import pytest
from conftest import to_numpy

from keras_lord.backend import keras_compat


def tiny_regression():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def test_unpack_x_y_sample_weight():
    x, y, w = np.ones(2), np.zeros(2), np.full(2, 0.5)
    assert keras_compat.unpack_x_y_sample_weight(x)[1:] == (None, None)
    unpacked = keras_compat.unpack_x_y_sample_weight((x, y, w))
    assert all(a is b for a, b in zip(unpacked, (x, y, w)))


def test_tracked_loss_computes_and_tracks_the_loss():
    model = tiny_regression()
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")
    y_pred = model(x)
    loss = keras_compat.tracked_loss(model, x, y, y_pred, None, 4)
    expected = np.mean(to_numpy(y_pred) ** 2)
    np.testing.assert_allclose(to_numpy(loss), expected, rtol=1e-6)
    tracker = {metric.name: metric for metric in model.metrics}["loss"]
    np.testing.assert_allclose(to_numpy(tracker.result()), expected, rtol=1e-6)


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="the JAX trainer's stateless path")
def test_update_metrics_variables_is_stateless_on_jax():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")
    y_pred = model(x)
    values = [v.value for v in model.metrics_variables]
    logs, new_values = keras_compat.update_metrics_variables(model, values, 2.5, x, y, y_pred, None)
    assert float(logs["loss"]) == 2.5
    assert len(new_values) == len(values)
    assert all(float(np.sum(to_numpy(v))) == 0 for v in model.metrics_variables), "stateless"


def test_adam_slots_are_the_moments_adam_updates():
    variable = keras.Variable(np.ones((3, 2), "float32"))
    optimizer = keras.optimizers.Adam(0.1)
    optimizer.build([variable])
    momentum, velocity = keras_compat.adam_slots(optimizer, variable)
    assert tuple(momentum.shape) == tuple(velocity.shape) == (3, 2)
    optimizer.apply([np.full((3, 2), 2.0, "float32")], [variable])
    np.testing.assert_allclose(to_numpy(momentum), 0.2, rtol=1e-6)  # (1 - beta_1) * g
    np.testing.assert_allclose(to_numpy(velocity), 0.004, rtol=1e-5)  # (1 - beta_2) * g^2
    try:
        keras_compat.adam_slots(optimizer, keras.Variable(np.ones(2)))
    except KeyError:
        pass
    else:
        raise AssertionError("a variable the optimizer was not built with must raise KeyError")


def test_current_learning_rate_follows_the_schedule():
    schedule = keras.optimizers.schedules.ExponentialDecay(1.0, 1, 0.5)
    optimizer = keras.optimizers.SGD(schedule)
    variable = keras.Variable(np.ones(2, "float32"))
    optimizer.build([variable])
    optimizer.apply([np.ones(2, "float32")], [variable])
    np.testing.assert_allclose(to_numpy(keras_compat.current_learning_rate(optimizer)), 0.5)


def test_set_initial_epoch_makes_fit_start_later():
    model = tiny_regression()
    keras_compat.set_initial_epoch(model, 2)
    history = model.fit(np.ones((4, 3)), np.zeros((4, 2)), epochs=3, verbose=0)
    assert history.epoch == [2]
    keras_compat.set_initial_epoch(model, None)
    assert model.fit(np.ones((4, 3)), np.zeros((4, 2)), epochs=1, verbose=0).epoch == [0]


def test_weights_file_bytes_is_what_save_weights_writes(tmp_path):
    model = tiny_regression()
    model.fit(np.ones((4, 3)), np.zeros((4, 2)), epochs=1, verbose=0)
    (tmp_path / "m.weights.h5").write_bytes(keras_compat.weights_file_bytes(model))
    model.save_weights(tmp_path / "keras.weights.h5")
    from_bytes, from_keras = tiny_regression(), tiny_regression()
    for clone, name in ((from_bytes, "m.weights.h5"), (from_keras, "keras.weights.h5")):
        clone.optimizer.build(clone.trainable_variables)
        clone.load_weights(tmp_path / name)
    for a, b, c in zip(model.variables, from_bytes.variables, from_keras.variables):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
        np.testing.assert_array_equal(to_numpy(b), to_numpy(c))
    for a, b in zip(model.optimizer.variables, from_bytes.optimizer.variables):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_flatten_layers_reaches_nested_layers():
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="deep")])
    outer = keras.Sequential([keras.Input((3,)), inner])
    names = [layer.name for layer in keras_compat.flatten_layers(outer)]
    assert names[0] == outer.name and "deep" in names


def test_self_saving_multi_optimizer_keeps_one_copy_of_sub_optimizer_state(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")])
    optimizer = keras_compat.SelfSavingMultiOptimizer(
        keras.optimizers.OptimizerMap(keras.optimizers.Adam(), {".*kernel": keras.optimizers.SGD()})
    )
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(np.ones((4, 3)), np.zeros((4, 2)), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    import zipfile

    import h5py

    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as weights:
        own = weights["optimizer/vars"]
        assert len(own) == len(model.optimizer._variables), "only the multi-optimizer's own"
