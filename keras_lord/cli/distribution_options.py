"""`--distribution`: training commands on all local devices with `keras.distribution`."""

import argparse

import keras

from keras_lord.distribution.choices import DISTRIBUTION_CHOICES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds `--distribution` to a training command's parser.

    Args:
        parser: the command's parser.

    """
    parser.add_argument(
        "--distribution",
        choices=DISTRIBUTION_CHOICES.names(),
        help="train on all local devices (JAX): 'data' replicates the model on each, "
        "'model' also splits the content table's rows over them; the batch size must be "
        "a multiple of the device count",
    )


def set_up(name: str | None, batch_size: int) -> None:
    """Sets the distribution a command asked for, before any trainer is built.

    Args:
        name: a registered distribution choice, or `None` for none.
        batch_size: the command's global batch size.

    Raises:
        ValueError: under another backend than JAX, or for a batch that does not divide
            over the devices.

    """
    if name is None:
        return
    if keras.backend.backend() != "jax":
        raise ValueError(
            f"--distribution {name} uses keras.distribution, which runs under the JAX "
            f"backend, not {keras.backend.backend()!r}: set KERAS_BACKEND=jax."
        )
    devices = keras.distribution.list_devices()
    if batch_size % len(devices):
        raise ValueError(
            f"--batch-size {batch_size} does not divide over the {len(devices)} devices; "
            f"pass a multiple of {len(devices)}."
        )
    keras.distribution.set_distribution(DISTRIBUTION_CHOICES.get(name).make(devices))
    print(f"Training on {len(devices)} devices (--distribution {name}): {devices}")
