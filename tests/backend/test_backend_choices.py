import keras
import numpy as np
import pytest
from conftest import to_numpy

from keras_lord import backend
from keras_lord.backend import generic
from keras_lord.layers import PatchMatmulConv2D, SpaceToDepthConv2D, UpsampleConv2D

# What each backend module answers, where the answer does not depend on the machine.
CHOICES = {
    "generic": {
        "overhanging_kernels_as_matmul": False,
        "upsampled_convolution_form": "phase",
        "blocked_convolutions_can_pay": False,
        "jaxlib_compiles_convolutions": False,
    },
    "tensorflow": {
        "overhanging_kernels_as_matmul": False,
        "upsampled_convolution_form": "transposed",
        "blocked_convolutions_can_pay": True,
        "jaxlib_compiles_convolutions": False,
    },
    "jax": {
        "overhanging_kernels_as_matmul": True,
        "upsampled_convolution_form": "phase",
        "blocked_convolutions_can_pay": False,
        "jaxlib_compiles_convolutions": True,
    },
}


def test_the_backend_answers_as_its_module_does():
    for name, expected in CHOICES[backend.BACKEND].items():
        assert getattr(backend, name)() == expected, name
    if backend.BACKEND != "tensorflow":
        assert backend.native_cpu_bfloat16() is False
    for name, expected in CHOICES["generic"].items():
        assert getattr(generic, name)() == expected, name
    assert generic.native_cpu_bfloat16() is False


def test_tensorflow_computes_bfloat16_natively_only_where_onednn_may(monkeypatch):
    tensorflow_backend = pytest.importorskip("keras_lord.backend.tensorflow")

    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.setattr(tensorflow_backend, "cpu_flags", lambda: frozenset({"avx512_bf16"}))
    assert tensorflow_backend.native_cpu_bfloat16()
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert not tensorflow_backend.native_cpu_bfloat16()
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    monkeypatch.setattr(tensorflow_backend, "cpu_flags", lambda: frozenset({"avx2"}))
    assert not tensorflow_backend.native_cpu_bfloat16()


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_asks_the_cpu_or_the_accelerator(monkeypatch, native):
    from keras_lord.trainers import precision

    monkeypatch.setattr(precision, "runs_on_cpu", lambda: True)
    monkeypatch.setattr(backend, "native_cpu_bfloat16", lambda: native)
    assert precision.native_bfloat16() == native
    # Off the CPU the accelerator decides, whatever the CPU computes.
    monkeypatch.setattr(precision, "runs_on_cpu", lambda: False)
    monkeypatch.setattr(backend, "accelerator_bfloat16", lambda: not native)
    assert precision.native_bfloat16() == (not native)


def same_weights(layer, reference, input_shape, reference_input_shape=None):
    layer.build(input_shape)
    reference.build(reference_input_shape or input_shape)
    layer.set_weights([np.random.default_rng(1).normal(size=w.shape) for w in layer.weights])
    reference.set_weights(layer.get_weights())


@pytest.mark.parametrize("as_matmul", [True, False])
def test_patch_matmul_follows_the_backend_on_overhanging_kernels(monkeypatch, as_matmul):
    monkeypatch.setattr(backend, "overhanging_kernels_as_matmul", lambda: as_matmul)
    calls = []
    layer = PatchMatmulConv2D(4, 3, padding="same")
    reference = keras.layers.Conv2D(4, 3, padding="same")
    # A 2x6 map: more pixels than the 3x3 kernel has taps, but narrower than it.
    input_shape = (2, 2, 6, 3)
    same_weights(layer, reference, input_shape)
    patch_matmul = layer._patch_matmul
    monkeypatch.setattr(
        layer, "_patch_matmul", lambda *args: calls.append(1) or patch_matmul(*args)
    )
    inputs = np.random.default_rng(0).normal(size=input_shape).astype("float32")
    np.testing.assert_allclose(
        to_numpy(layer(inputs)), to_numpy(reference(inputs)), rtol=1e-5, atol=1e-5
    )
    assert bool(calls) == as_matmul


@pytest.mark.parametrize("form", ["transposed", "phase"])
def test_upsample_conv2d_computes_the_form_the_backend_names(monkeypatch, form):
    monkeypatch.setattr(backend, "upsampled_convolution_form", lambda: form)
    input_shape = (2, 3, 4, 3)
    layer = UpsampleConv2D(5, 3, padding="same")
    reference = keras.layers.Conv2D(5, 3, padding="same")
    same_weights(layer, reference, input_shape, (2, 6, 8, 3))
    used = []
    chosen = getattr(layer, f"{form}_convolution")
    monkeypatch.setattr(layer, f"{form}_convolution", lambda *args: used.append(1) or chosen(*args))
    inputs = np.random.default_rng(0).normal(size=input_shape).astype("float32")
    expected = to_numpy(reference(np.repeat(np.repeat(inputs, 2, axis=1), 2, axis=2)))
    np.testing.assert_allclose(to_numpy(layer(inputs)), expected, rtol=1e-5, atol=1e-5)
    assert used


def test_space_to_depth_conv2d_stays_plain_where_blocks_cannot_pay(monkeypatch):
    layer = SpaceToDepthConv2D(3, 7, padding="same")
    monkeypatch.setenv("KERAS_LORD_BLOCKED_CONVOLUTION", "blocked")
    monkeypatch.setattr(backend, "blocked_convolutions_can_pay", lambda: False)
    assert not layer.computes_on_blocks((2, 8, 8, 4))
    monkeypatch.setattr(backend, "blocked_convolutions_can_pay", lambda: True)
    assert layer.computes_on_blocks((2, 8, 8, 4))


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's timing")
def test_ways_are_timed_compiled_as_the_step_is(monkeypatch):
    # Keras compiles TensorFlow's step with XLA where there is a GPU (`jit_compile="auto"`),
    # so the timing must too: a way XLA cannot compile then fails to be timed.
    import tensorflow as tf

    from keras_lord.backend import tensorflow as tf_backend

    def native(inputs, kernel):
        return tf.nn.conv2d(inputs, kernel, 1, "SAME")

    def through_python(inputs, kernel):
        # A Python call (differentiable): TensorFlow runs it, XLA cannot compile it.
        outputs = tf.py_function(lambda x: x, [native(inputs, kernel)], inputs.dtype)
        return tf.ensure_shape(outputs, [1, 8, 8, 4])

    ways = {"native": native, "through_python": through_python}
    shapes = ((1, 8, 8, 3), (3, 3, 3, 4), "float32")
    seconds = tf_backend.time_convolutions(ways, *shapes, repeats=1)
    assert set(seconds) == {"native", "through_python"}
    monkeypatch.setattr(tf_backend, "accelerator_names", lambda: ["gpu:NVIDIA H100 80GB HBM3"])
    assert set(tf_backend.time_convolutions({"native": native}, *shapes, repeats=1)) == {"native"}
    with pytest.raises(tf.errors.InvalidArgumentError, match="(?i)xla|compil"):
        tf_backend.time_convolutions({"through_python": through_python}, *shapes, repeats=1)
