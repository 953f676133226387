"""Shared checks for every layer and network, in the spirit of keras-hub's `run_layer_test`.

`run_layer_test` checks a layer's config round trip and registration, a symbolic call on
`keras.Input`, an eager call, a `fit` step that moves its trainable weights, and the
`mixed_bfloat16` policy. `run_model_saving_test` saves a model to `.keras` and compares its
outputs with those of a reload in a fresh process.
"""

import keras
import numpy as np
from conftest import run_python, to_numpy
from keras import ops, tree

from keras_lord.backend import keras_compat


def _positional(inputs):
    return inputs if isinstance(inputs, tuple) else (inputs,)


def _symbolic(array):
    array = np.asarray(array)
    return keras.Input(array.shape[1:], dtype=str(array.dtype))


def _flat_outputs(outputs):
    return [to_numpy(value) for value in tree.flatten(outputs)]


def run_layer_test(
    make_layer,
    inputs,
    call_kwargs: dict | None = None,
    trains: bool = True,
    check_bfloat16: bool = True,
):
    """Runs the shared checks on a layer.

    Args:
        make_layer: `make_layer(**overrides)` returns a new layer; overrides are standard
            layer arguments such as `dtype`.
        inputs: a numpy array, a dict of arrays, or a tuple of positional inputs.
        call_kwargs: keyword arguments of the call.
        trains: whether a `fit` step must change some weight.
        check_bfloat16: whether to check the `mixed_bfloat16` policy.

    Returns:
        The layer's eager outputs.

    """
    call_kwargs = call_kwargs or {}
    arguments = _positional(inputs)
    layer = make_layer()
    eager = layer(*arguments, **call_kwargs)
    eager_flat = _flat_outputs(eager)
    assert all(np.all(np.isfinite(value)) for value in eager_flat)

    # Config round trip: same config, registered name, same outputs with the same weights.
    config = layer.get_config()
    clone = layer.__class__.from_config(config)
    assert clone.get_config() == config
    assert keras.saving.serialize_keras_object(layer)["registered_name"].startswith(
        "keras_lord>"
    ), "register the class with keras.saving.register_keras_serializable(package='keras_lord')"
    # Compared in inference: training noise differs between the two.
    inference = {key: value for key, value in call_kwargs.items() if key != "training"}
    clone(*arguments, **inference)
    clone.set_weights(layer.get_weights())
    for a, b in zip(
        _flat_outputs(layer(*arguments, **inference)),
        _flat_outputs(clone(*arguments, **inference)),
    ):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

    # Symbolic call: the shapes of the eager call, batch size left open.
    symbolic_inputs = tree.map_structure(_symbolic, arguments)
    symbolic = layer(*symbolic_inputs, **call_kwargs)
    for value, eager_value in zip(tree.flatten(symbolic), eager_flat):
        assert tuple(value.shape[1:]) == eager_value.shape[1:]

    # A fit step moves the trainable weights.
    if trains:
        model = keras.Model(list(tree.flatten(symbolic_inputs)), tree.flatten(symbolic))
        model.compile(
            optimizer=keras.optimizers.SGD(0.1),
            loss=lambda y_true, y_pred: ops.mean(ops.square(ops.cast(y_pred, "float32") - 1.0)),
        )
        before = [to_numpy(w).copy() for w in layer.trainable_weights]
        assert before, "a layer that trains must have trainable weights"
        targets = [np.zeros_like(value, dtype="float32") for value in eager_flat]
        model.train_on_batch([np.asarray(a) for a in tree.flatten(arguments)], targets)
        after = [to_numpy(w) for w in layer.trainable_weights]
        assert any(not np.array_equal(a, b) for a, b in zip(before, after))

    # Mixed precision: float32 weights, a bfloat16 compute dtype, finite outputs.
    if check_bfloat16:
        mixed = make_layer(dtype="mixed_bfloat16")
        outputs = _flat_outputs(mixed(*arguments, **call_kwargs))
        layers = keras_compat.flatten_layers(mixed)
        assert any(layer.compute_dtype == "bfloat16" for layer in layers)
        assert all(w.dtype == "float32" for w in mixed.trainable_weights)
        assert all(np.all(np.isfinite(value.astype("float32"))) for value in outputs)
    return eager


def run_model_saving_test(model: keras.Model, inputs, tmp_path, atol: float = 1e-6):
    """Saves a model to `.keras`, reloads it in a fresh process and compares the outputs.

    Args:
        model: the model; `model(inputs)` must work.
        inputs: a numpy array or a dict of arrays.
        tmp_path: a folder for the files.
        atol: tolerance (oneDNN may pick other kernels in another process).

    Returns:
        The path of the saved file.

    """
    path = tmp_path / "model.keras"
    model.save(path)
    expected = _flat_outputs(model(inputs))
    np.savez(tmp_path / "inputs.npz", **(inputs if isinstance(inputs, dict) else {"x": inputs}))
    run_python(
        "import numpy as np, keras, keras_lord\n"
        f"model = keras.saving.load_model({str(path)!r})\n"
        "assert type(model).__module__.startswith('keras_lord')\n"
        "with np.load('inputs.npz') as archive:\n"
        "    inputs = {key: archive[key] for key in archive.files}\n"
        "inputs = inputs['x'] if list(inputs) == ['x'] else inputs\n"
        "outputs = [keras.ops.convert_to_numpy(v) for v in keras.tree.flatten(model(inputs))]\n"
        "np.savez('outputs.npz', *outputs)\n",
        cwd=tmp_path,
    )
    with np.load(tmp_path / "outputs.npz") as archive:
        reloaded = [archive[f"arr_{index}"] for index in range(len(archive.files))]
    assert len(reloaded) == len(expected)
    for a, b in zip(expected, reloaded):
        np.testing.assert_allclose(b, a, atol=atol)
    return path
