import keras
import pytest

from keras_lord.cli import build_parser, distribution_options


def test_the_choices_are_the_registered_distributions():
    arguments = build_parser().parse_args(
        ["train", "d.npz", "--out", "r", "--distribution", "model"]
    )
    assert arguments.distribution == "model"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "d.npz", "--out", "r", "--distribution", "pipeline"])
    assert build_parser().parse_args(["demo", "--distribution", "data"]).distribution == "data"


def test_no_distribution_sets_none():
    distribution_options.set_up(None, batch_size=7)
    assert keras.distribution.distribution() is None


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the refusal of TensorFlow")
def test_tensorflow_is_told_to_use_jax():
    with pytest.raises(ValueError, match="KERAS_BACKEND=jax"):
        distribution_options.set_up("data", batch_size=8)


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="keras.distribution is JAX's")
def test_a_batch_that_does_not_divide_over_the_devices_is_refused(monkeypatch):
    # Three devices, as a host with three GPUs lists them.
    monkeypatch.setattr(keras.distribution, "list_devices", lambda: ["cpu:0"] * 3)
    with pytest.raises(ValueError, match="--batch-size 8 does not divide over the 3 devices"):
        distribution_options.set_up("data", batch_size=8)
    assert keras.distribution.distribution() is None
