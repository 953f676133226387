import argparse

import keras
import pytest

from keras_lord.cli import UsageError, build_parser, distribution_options


def options(distribution=None, batch_size=8, **processes):
    """The arguments `set_up` reads, as `keras-lord train` parses them."""
    processes = {"coordinator": None, "num_processes": None, "process_id": None, **processes}
    return argparse.Namespace(distribution=distribution, batch_size=batch_size, **processes)


def test_the_choices_are_the_registered_distributions():
    arguments = build_parser().parse_args(
        ["train", "d.npz", "--out", "r", "--distribution", "model"]
    )
    assert arguments.distribution == "model"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "d.npz", "--out", "r", "--distribution", "pipeline"])
    assert build_parser().parse_args(["demo", "--distribution", "data"]).distribution == "data"


def test_no_distribution_sets_none():
    distribution_options.set_up(options(batch_size=7))
    assert keras.distribution.distribution() is None


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the refusal of TensorFlow")
def test_tensorflow_is_told_to_use_jax():
    with pytest.raises(UsageError, match="KERAS_BACKEND=jax"):
        distribution_options.set_up(options("data"))
    with pytest.raises(UsageError, match="--coordinator uses keras.distribution"):
        distribution_options.set_up(
            options(coordinator="127.0.0.1:1234", num_processes=2, process_id=0)
        )


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="keras.distribution is JAX's")
def test_a_batch_that_does_not_divide_over_the_devices_is_refused(monkeypatch):
    # Three devices, as a host with three GPUs lists them.
    monkeypatch.setattr(keras.distribution, "list_devices", lambda: ["cpu:0"] * 3)
    with pytest.raises(UsageError, match="--batch-size 8 does not divide over the 3 devices"):
        distribution_options.set_up(options("data"))
    assert keras.distribution.distribution() is None


@pytest.mark.parametrize(
    "given, message",
    [
        ({"coordinator": "127.0.0.1:1234"}, "go together: give all three"),
        ({"num_processes": 2, "process_id": 0}, "go together: give all three"),
        (
            {"coordinator": "127.0.0.1:1234", "num_processes": 2, "process_id": 2},
            "--process-id 2 is out of range for --num-processes 2: number the processes 0 to 1",
        ),
    ],
)
def test_process_options_are_checked_before_any_process_is_joined(given, message):
    with pytest.raises(UsageError, match=message):
        distribution_options.set_up(options(**given))
    assert keras.distribution.distribution() is None


def test_the_process_options_parse_as_addresses_and_numbers():
    arguments = build_parser().parse_args(
        ["demo", "--coordinator", "node001:1234", "--num-processes", "2", "--process-id", "1"]
    )
    assert (arguments.coordinator, arguments.num_processes, arguments.process_id) == (
        "node001:1234",
        2,
        1,
    )
    for bad in (["--coordinator", "node001"], ["--coordinator", ":1234"], ["--num-processes", "0"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["train", "d.npz", "--out", "r", *bad])
