import json
import os

import keras
import numpy as np
import pytest
from conftest import json_report, tiny_trainer, to_numpy
from test_layers import assert_one_sgd_step_equal, conv2d_pair

from keras_lord import backend
from keras_lord.layers import (
    PatchMatmulConv2D,
    SpaceToDepthConv2D,
    blocked_convolution,
    set_blocked_convolution,
)
from keras_lord.layers.input_gradient import (
    ENVIRONMENT_VARIABLE,
    input_gradient,
    set_input_gradient,
    stride1_convolution,
    timed_choices,
    timed_input_gradient,
)
from keras_lord.layers.space_to_depth_conv2d import BLOCKED_CONVOLUTION_VARIABLE, timed_forms
from keras_lord.utils.cpu import cpu_flags
from keras_lord.utils.tuning_cache import CACHE_DIR_VARIABLE

TENSORFLOW_ONLY = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="TensorFlow's gradient kernels"
)


@pytest.fixture(autouse=True)
def default_choice(tmp_path, monkeypatch):
    # Timed choices go to a fresh cache, not the user's.
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path / "cache"))
    for cache in (timed_choices, timed_forms):
        cache.clear_memory()
    yield
    set_input_gradient(None)
    for cache in (timed_choices, timed_forms):
        cache.clear_memory()


# Odd, even and non-square kernels, "same" and "valid" padding.
CONVOLUTION_CASES = [
    ((2, 6, 6, 3), (3, 3), "same"),
    ((2, 5, 7, 4), (4, 4), "same"),
    ((3, 6, 5, 2), (2, 5), "same"),
    ((2, 7, 6, 3), (3, 3), "valid"),
    ((2, 6, 6, 2), (4, 1), "valid"),
]


@TENSORFLOW_ONLY
@pytest.mark.parametrize("input_shape, kernel_size, padding", CONVOLUTION_CASES)
@pytest.mark.parametrize("dtype, tolerance", [("float32", 1e-5), ("bfloat16", 3e-2)])
def test_forward_gradient_convolution_equals_tensorflow(
    input_shape, kernel_size, padding, dtype, tolerance
):
    import tensorflow as tf

    from keras_lord.backend.tensorflow import forward_gradient_convolution

    rng = np.random.default_rng(0)
    inputs = tf.constant(rng.normal(size=input_shape), dtype)
    kernel = tf.constant(rng.normal(size=kernel_size + (input_shape[-1], 5)), dtype)
    output_shape = tf.nn.conv2d(inputs, kernel, 1, padding.upper()).shape
    # Weights on the outputs, so that each output position's gradient differs.
    weights = tf.constant(rng.normal(size=output_shape), dtype)
    results = []
    for convolve in (
        lambda x, k: tf.nn.conv2d(x, k, 1, padding.upper()),
        lambda x, k: forward_gradient_convolution(x, k, padding),
    ):
        with tf.GradientTape() as tape:
            tape.watch([inputs, kernel])
            outputs = convolve(inputs, kernel)
            loss = tf.reduce_sum(tf.cast(outputs * weights, "float32"))
        results.append([outputs, *tape.gradient(loss, [inputs, kernel])])
    for native, forward, name in zip(*results, ("outputs", "input gradient", "kernel gradient")):
        assert native.shape == forward.shape, name
        native, forward = (np.asarray(tf.cast(t, "float32")) for t in (native, forward))
        scale = np.abs(native).max()
        np.testing.assert_allclose(forward, native, rtol=0, atol=tolerance * scale, err_msg=name)


@pytest.mark.parametrize(
    "layer_class, input_shape, kernel_size, filters",
    [
        (PatchMatmulConv2D, (2, 6, 6, 3), 3, 7),
        (PatchMatmulConv2D, (2, 3, 8, 2), 4, 7),
        (SpaceToDepthConv2D, (2, 8, 8, 5), 7, 3),
        (SpaceToDepthConv2D, (3, 4, 6, 2), 4, 3),
    ],
)
def test_layers_train_alike_with_either_input_gradient(
    layer_class, input_shape, kernel_size, filters
):
    rng = np.random.default_rng(2)
    inputs = rng.normal(size=input_shape).astype("float32")
    targets = rng.normal(size=input_shape[:3] + (filters,)).astype("float32")
    set_input_gradient("forward")
    layer, reference = conv2d_pair(input_shape, kernel_size, layer_class, filters)
    assert_one_sgd_step_equal([layer], [reference], inputs, targets)


@TENSORFLOW_ONLY
def test_an_eager_call_on_a_layers_kernel_variable_takes_the_forward_gradient():
    # Eagerly the kernel reaches the custom gradient as a variable (as when the target
    # features are computed before `fit`); the gradients must still reach it.
    import tensorflow as tf

    inputs = tf.constant(np.random.default_rng(5).normal(size=(2, 6, 6, 3)), "float32")
    set_input_gradient("forward")
    layer, reference = conv2d_pair(inputs.shape, 3, PatchMatmulConv2D)
    results = []
    for convolution in (layer, reference):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = tf.reduce_sum(tf.square(convolution(inputs)))
        results.append([loss, *tape.gradient(loss, [inputs, convolution.kernel])])
    for forward, native in zip(*results):
        np.testing.assert_allclose(to_numpy(forward), to_numpy(native), rtol=1e-4, atol=1e-4)


def test_stride1_convolution_values_do_not_depend_on_the_choice():
    rng = np.random.default_rng(4)
    inputs = rng.normal(size=(2, 5, 5, 3)).astype("float32")
    kernel = rng.normal(size=(3, 3, 3, 4)).astype("float32")
    outputs = {}
    for choice in ("native", "forward", "timed"):
        set_input_gradient(choice)
        assert input_gradient() == choice
        outputs[choice] = to_numpy(stride1_convolution(inputs, kernel, "valid"))
    assert outputs["native"].shape == (2, 3, 3, 4)
    for choice in ("forward", "timed"):
        np.testing.assert_allclose(outputs[choice], outputs["native"], rtol=1e-5, atol=1e-5)


def cached_entries(path):
    # The entries of the one machine the file holds.
    with open(path) as file:
        machines = json.load(file)
    (machine,) = machines.values()
    return machine["entries"]


def store_choice(cache, key, choice):
    # As another process would find the file: the stored choice changed, nothing in memory.
    with open(cache.path) as file:
        machines = json.load(file)
    for machine in machines.values():
        machine["entries"][key]["choice"] = choice
    with open(cache.path, "w") as file:
        json.dump(machines, file)
    cache.clear_memory()


SHAPE = ((None, 8, 8, 4), (3, 3, 4, 6), "same", "float32")
SHAPE_KEY = "same:float32:(32, 8, 8, 4):(3, 3, 4, 6)"


@TENSORFLOW_ONLY
def test_timed_choice_is_measured_once_and_then_read_from_the_machine_cache(monkeypatch):
    choice = timed_input_gradient(*SHAPE)
    entries = cached_entries(timed_choices.path)
    seconds = entries[SHAPE_KEY]["seconds"]
    assert set(seconds) == {"native", "forward"} and min(seconds.values()) > 0
    assert choice == entries[SHAPE_KEY]["choice"] == min(seconds, key=seconds.get)

    # Another process on this machine reads the file instead of timing again: flip the
    # stored choice and it is the flipped one that comes back.
    flipped = {"native": "forward", "forward": "native"}[choice]
    store_choice(timed_choices, SHAPE_KEY, flipped)
    assert timed_input_gradient(*SHAPE) == flipped

    # Other kernel settings are another machine: timed again, kept apart.
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    timed_choices.clear_memory()
    assert timed_input_gradient(*SHAPE) in ("native", "forward")
    with open(timed_choices.path) as file:
        assert len(json.load(file)) == 2


@TENSORFLOW_ONLY
def test_an_unreadable_cache_is_left_alone_and_the_choice_kept_in_memory():
    os.makedirs(os.path.dirname(timed_choices.path))
    with open(timed_choices.path, "w") as file:
        file.write("{not json")
    with pytest.warns(UserWarning, match="Could not read"):
        choice = timed_input_gradient(*SHAPE)
    assert choice in ("native", "forward")
    assert timed_input_gradient(*SHAPE) == choice
    with open(timed_choices.path) as file:
        assert file.read() == "{not json"


def test_timed_falls_back_without_timing_where_there_is_nothing_to_time():
    # A spatial size unknown at trace time cannot be timed; the "auto" rule answers.
    unknown = ((None, None, None, 4), (3, 3, 4, 6), "same", "float32")
    set_input_gradient("auto")
    assert timed_input_gradient(*unknown) == input_gradient()
    if keras.backend.backend() == "jax":
        # XLA has one input gradient: nothing is timed or stored.
        assert timed_input_gradient(*SHAPE) == "native"
        assert not os.path.exists(timed_choices.path)


def test_bad_choices_are_refused(monkeypatch):
    with pytest.raises(ValueError, match="one of"):
        set_input_gradient("fast")
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "backwards")
    with pytest.raises(ValueError, match="backwards"):
        input_gradient()
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "forward")
    assert input_gradient() == "forward"
    set_input_gradient("native")
    assert input_gradient() == "native"


PROCESS_REPORT = """
import json, os, sys
if sys.argv[1] == "tensorflow-first":
    import tensorflow
import keras_lord
from keras_lord.utils.cpu import onednn_enabled
from keras_lord.layers.input_gradient import input_gradient
print(json.dumps({
    "setting": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
    "onednn": onednn_enabled(),
    "input_gradient": input_gradient(),
}))
"""


def process_report(order, **environment):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TF_ENABLE_ONEDNN_OPTS", ENVIRONMENT_VARIABLE)
    }
    env.update(environment, KERAS_BACKEND="tensorflow")
    return json_report(PROCESS_REPORT, order, env=env)


@TENSORFLOW_ONLY
def test_onednn_and_the_input_gradient_chosen_per_process():
    # Without oneDNN (TensorFlow's default on AVX2-only CPUs) the forward gradient is chosen.
    assert process_report("keras-lord-first", TF_ENABLE_ONEDNN_OPTS="0") == {
        "setting": "0",
        "onednn": False,
        "input_gradient": "forward",
    }
    if "avx2" in cpu_flags():
        # keras-lord imported first turns oneDNN on, and then keeps TensorFlow's gradient.
        assert process_report("keras-lord-first") == {
            "setting": "1",
            "onednn": True,
            "input_gradient": "native",
        }
    # Imported after TensorFlow it changes nothing: TensorFlow chose its kernels already.
    after = process_report("tensorflow-first")
    assert after["setting"] is None
    assert after["input_gradient"] == ("native" if after["onednn"] else "forward")


def test_a_lord_step_is_the_same_with_either_input_gradient(tiny_data):
    # The generator's blocked output convolution and the perceptual loss's VGG both take the
    # chosen gradient; one epoch from the same seed must end at the same weights.

    # So does the output convolution's form (blocked or plain).
    weights = {}
    choices = [
        ("native", "blocked"),
        ("forward", "blocked"),
        ("timed", "timed"),
        ("native", "plain"),
    ]
    for gradient, form in choices:
        set_input_gradient(gradient)
        set_blocked_convolution(form)
        trainer = tiny_trainer(tiny_data)
        # LORD's small initial content codes: the tolerance below is fp32 rounding of the
        # forms at that scale (codes of 10x the size leave 10x the rounding after an epoch).
        # Adam divides each gradient by its own size, so an entry whose gradient is near 0
        # moves by a share of the learning rate that rounding decides: up to 4.4e-5 with
        # oneDNN's kernels (AVX2), whose sums also vary between runs; a wrong gradient
        # moves entries by up to the 6e-3 an entry moves in the epoch.
        trainer.compile(content_initialization="random")
        trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
        weights[gradient, form] = [to_numpy(w) for w in trainer.weights]
    for choice in choices[1:]:
        for native, other in zip(weights[choices[0]], weights[choice]):
            np.testing.assert_allclose(other, native, rtol=1e-4, atol=1e-3, err_msg=str(choice))


@pytest.mark.parametrize("form", ["blocked", "plain", "timed"])
def test_the_output_convolution_trains_alike_in_every_form(form):
    rng = np.random.default_rng(5)
    input_shape = (2, 8, 8, 5)
    inputs = rng.normal(size=input_shape).astype("float32")
    targets = rng.normal(size=input_shape[:3] + (3,)).astype("float32")
    set_blocked_convolution(form)
    layer, reference = conv2d_pair(input_shape, 7, SpaceToDepthConv2D, 3)
    blocks = layer.computes_on_blocks(input_shape)
    if keras.backend.backend() != "tensorflow" or form == "plain":
        assert not blocks
    elif form == "blocked":
        assert blocks
    assert_one_sgd_step_equal([layer], [reference], inputs, targets)


def test_the_form_follows_the_setting_the_environment_and_the_cpu(monkeypatch):
    layer = SpaceToDepthConv2D(3, 7, padding="same")
    shape = (None, 8, 8, 4)
    set_blocked_convolution(None)
    monkeypatch.setenv(BLOCKED_CONVOLUTION_VARIABLE, "plain")
    assert blocked_convolution() == "plain" and not layer.computes_on_blocks(shape)
    monkeypatch.setenv(BLOCKED_CONVOLUTION_VARIABLE, "sideways")
    with pytest.raises(ValueError, match="sideways.*KERAS_LORD_BLOCKED_CONVOLUTION"):
        blocked_convolution()
    monkeypatch.delenv(BLOCKED_CONVOLUTION_VARIABLE)
    # "auto": blocks where they were measured faster: AVX-512 kernels, or TensorFlow's own.
    eigen = backend.native_input_gradient_is_slow()
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    expected = eigen or "avx512f" in cpu_flags()
    assert blocked_convolution() == ("blocked" if expected else "plain")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert blocked_convolution() == ("blocked" if eigen else "plain")
    set_blocked_convolution("blocked")
    assert layer.computes_on_blocks(shape) == (keras.backend.backend() == "tensorflow")
    with pytest.raises(ValueError, match="one of"):
        set_blocked_convolution("always")


FORM_KEY = "2:float32:(32, 8, 8, 4):(7, 7, 4, 3)"


@TENSORFLOW_ONLY
def test_timed_form_is_measured_once_and_then_read_from_the_machine_cache():
    layer = SpaceToDepthConv2D(3, 7, padding="same")
    shape = (None, 8, 8, 4)
    form = layer.timed_form(shape)
    entry = cached_entries(timed_forms.path)[FORM_KEY]
    assert set(entry["seconds"]) == {"blocked", "plain"} and min(entry["seconds"].values()) > 0
    assert form == entry["choice"] == min(entry["seconds"], key=entry["seconds"].get)

    flipped = {"blocked": "plain", "plain": "blocked"}[form]
    store_choice(timed_forms, FORM_KEY, flipped)
    set_blocked_convolution("timed")
    assert layer.computes_on_blocks(shape) == (flipped == "blocked")


def test_nothing_is_timed_where_the_layer_never_computes_on_blocks():
    layer = SpaceToDepthConv2D(3, 7, padding="same")
    set_blocked_convolution("timed")
    # Odd sizes cannot be cut into blocks: no timing, on any backend.
    assert not layer.computes_on_blocks((None, 7, 8, 4))
    if keras.backend.backend() == "jax":
        assert not layer.computes_on_blocks((None, 8, 8, 4))
    assert not os.path.exists(timed_forms.path)
