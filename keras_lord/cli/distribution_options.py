"""`--distribution` and the process options: training commands on several devices and hosts.

With `--distribution` a command trains on all local devices with `keras.distribution`
(JAX). With `--coordinator HOST:PORT --num-processes N --process-id I` it is one of N
processes (one per host, or per GPU) that train one run together: each calls
`keras.distribution.initialize` and trains on its share of every batch, and the first
writes the run folder, which they must share (`docs/distributed.md`).
"""

import argparse

import keras

from keras_lord.cli.argument_types import UsageError, host_and_port, non_negative, positive_int
from keras_lord.distribution.choices import DISTRIBUTION_CHOICES

# What several processes train with unless `--distribution` says otherwise.
DEFAULT_FOR_PROCESSES = "data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds `--distribution`, `--coordinator`, `--num-processes` and `--process-id`.

    Args:
        parser: the command's parser.

    """
    parser.add_argument(
        "--distribution",
        choices=DISTRIBUTION_CHOICES.names(),
        help="train on all devices (JAX): 'data' replicates the model on each, 'model' also "
        "splits the content table's rows over them; the batch size must be a multiple of "
        f"the device count (default with --num-processes: {DEFAULT_FOR_PROCESSES})",
    )
    parser.add_argument(
        "--coordinator",
        type=host_and_port,
        help="HOST:PORT of process 0, the same for every process, to train with several "
        "processes (hosts) together (JAX); needs --num-processes and --process-id",
    )
    parser.add_argument(
        "--num-processes", type=positive_int, help="how many processes train together"
    )
    parser.add_argument(
        "--process-id",
        type=non_negative(int),
        help="this process's number, 0 to --num-processes - 1; process 0 writes the run "
        "folder, which all of them must share",
    )


def set_up(arguments: argparse.Namespace) -> None:
    """Joins the other processes and sets the distribution, before any trainer is built.

    Args:
        arguments: a command's parsed arguments, with those `add_arguments` adds and
            `batch_size`.

    Raises:
        UsageError: for process options given in part, a process id out of range, either
            kind of option under another backend than JAX, or a batch that does not divide
            over the devices.

    """
    name = arguments.distribution
    process_options = (arguments.coordinator, arguments.num_processes, arguments.process_id)
    several = any(option is not None for option in process_options)
    if several and None in process_options:
        raise UsageError(
            "--coordinator, --num-processes and --process-id go together: give all three "
            "(the same coordinator and count to every process), or none to train in one."
        )
    if several and not arguments.process_id < arguments.num_processes:
        raise UsageError(
            f"--process-id {arguments.process_id} is out of range for --num-processes "
            f"{arguments.num_processes}: number the processes 0 to "
            f"{arguments.num_processes - 1}."
        )
    if (name or several) and keras.backend.backend() != "jax":
        option = f"--distribution {name}" if name else "--coordinator"
        raise UsageError(
            f"{option} uses keras.distribution, which runs under the JAX backend, not "
            f"{keras.backend.backend()!r}: set KERAS_BACKEND=jax."
        )
    if several:
        # Before anything asks JAX for its devices: from here they are all processes' devices.
        keras.distribution.initialize(
            job_addresses=arguments.coordinator,
            num_processes=arguments.num_processes,
            process_id=arguments.process_id,
        )
        name = name or DEFAULT_FOR_PROCESSES
        print(
            f"Process {arguments.process_id} of {arguments.num_processes} "
            f"(coordinator {arguments.coordinator})"
        )
    if name is None:
        return
    devices = keras.distribution.list_devices()
    if arguments.batch_size % len(devices):
        raise UsageError(
            f"--batch-size {arguments.batch_size} does not divide over the {len(devices)} "
            f"devices; pass a multiple of {len(devices)}."
        )
    keras.distribution.set_distribution(DISTRIBUTION_CHOICES.get(name).make(devices))
    print(f"Training on {len(devices)} devices (--distribution {name}): {devices}")
