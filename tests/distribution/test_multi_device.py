"""Keras' own distributions under JAX, on 4 virtual CPU devices against one device.

One child process (`distributed_child.py`) trains every variant; the tests read its report.
"""

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import child_env, finish, free_port
from distributed_child import CONTENT_DIM

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="keras.distribution runs under JAX"
)

# One step on 1 and on 4 devices differs only by the order of float32 sums (the batch's loss
# is a mean over devices instead of over one device's batch): about 1e-7 relative. Adam
# divides each table gradient by its own magnitude, so a row moves by at most the learning
# rate; the tables agree to well below it.
LOSS_RTOL = 1e-5
TABLE_ATOL = 1e-4


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("distributed")
    env = dict(child_env(), XLA_FLAGS="--xla_force_host_platform_device_count=4")
    env["PYTHONPATH"] = str(Path(__file__).parents[1])
    child = Path(__file__).parents[1] / "distributed_child.py"
    result = subprocess.run(
        [sys.executable, str(child), str(folder / "report.json"), str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((folder / "report.json").read_text())


def test_the_child_had_four_devices(report):
    assert report["devices"] == 4


@pytest.mark.parametrize("name", ["data", "model"])
def test_one_step_on_four_devices_equals_one_device(report, name):
    one, four = report["none"], report[name]
    np.testing.assert_allclose(four["step_loss"], one["step_loss"], rtol=LOSS_RTOL)
    for table in one["step_tables"]:
        np.testing.assert_allclose(
            four["step_tables"][table], one["step_tables"][table], atol=TABLE_ATOL
        )


def test_two_epochs_on_four_devices_equal_one_device(report):
    np.testing.assert_allclose(
        report["data"]["epoch_losses"], report["none"]["epoch_losses"], atol=1e-3
    )


def test_checkpoints_resume_across_device_counts(report):
    second_epoch = report["none"]["epoch_losses"][1]
    # Written on 4 devices (DataParallel), resumed on 1; written on 1, resumed on 4.
    np.testing.assert_allclose(report["data_resumed_on_none"], [second_epoch], atol=1e-3)
    np.testing.assert_allclose(report["none_resumed_on_model"], [second_epoch], atol=1e-3)


def test_a_step_exchanges_rows_not_the_split_table(report):
    model = report["model"]
    assert model["content_sharding"] == ["model", None]
    rows, width = report["samples"], 20
    table_arrays = [
        shape
        for collective in model["collectives"]
        for shape in collective["shapes"]
        if shape and shape[-1] == width
    ]
    # The batch's rows (12 a batch shard, 24 a batch) travel; no array of a table's shard
    # (60 rows) or more does. The one other 20-wide array is a weight's (32 x 20) gradient.
    assert {(12, width), (24, width)} & set(map(tuple, table_arrays)), model["collectives"]
    assert max(shape[0] for shape in table_arrays) < rows // 2


def process_child(mode, process_id, port, output, checkpoint, devices):
    env = dict(child_env(), XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
    env["PYTHONPATH"] = str(Path(__file__).parents[1])
    child = Path(__file__).parents[1] / "process_child.py"
    arguments = [mode, str(process_id), port, str(output), str(checkpoint)]
    return subprocess.Popen(
        [sys.executable, str(child), *arguments],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    """2 processes x 2 devices train, and are resumed after one of them is killed."""
    folder = tmp_path_factory.mktemp("processes")
    checkpoint = folder / "checkpoint"
    port = str(free_port())
    processes = [
        process_child("train", i, port, folder / f"{i}.json", checkpoint, 2) for i in (0, 1)
    ]
    try:
        # Process 1 kills itself as the third epoch begins. By then process 0 has written
        # the state of epoch 2 (processes wait for each other after each checkpoint), and
        # it waits for process 1 at its next step: it is stopped here.
        errors = [None, processes[1].communicate(timeout=600)[1]]
    finally:
        for process in processes:
            process.kill()
    errors[0] = processes[0].communicate()[1]
    for index in (0, 1):
        assert (folder / f"{index}.json").exists(), errors[index][-3000:]
    result = {
        "train_returncodes": [process.returncode for process in processes],
        "reports": [json.loads((folder / f"{i}.json").read_text()) for i in (0, 1)],
        "state": json.loads((checkpoint / "state.json").read_text()),
        "checkpoint_entries": sorted(path.name for path in checkpoint.iterdir()),
    }
    shutil.copytree(checkpoint, folder / "copy")
    port = str(free_port())
    resumed = [
        process_child("resume", i, port, folder / f"resumed_{i}.json", checkpoint, 2)
        for i in (0, 1)
    ]
    errors = finish(resumed)
    assert [process.returncode for process in resumed] == [0, 0], errors[0][-3000:]
    alone = process_child("resume", "alone", "0", folder / "alone.json", folder / "copy", 4)
    error = finish([alone])[0]
    assert alone.returncode == 0, error[-3000:]
    result["folder"] = folder
    result["resumed"] = [json.loads((folder / f"resumed_{i}.json").read_text()) for i in (0, 1)]
    result["alone"] = json.loads((folder / "alone.json").read_text())
    return result


def test_two_processes_of_two_devices_equal_one_of_four(report, two_processes):
    reports = two_processes["reports"]
    assert [r["devices"] for r in reports] == [[4, 2], [4, 2]]
    assert [r["split"] for r in reports] == [[4, 2, 0], [4, 2, 1]]
    # Each process holds half the content table: its 2 devices' quarters.
    assert [r["content_rows_here"] for r in reports] == [report["samples"] // 2] * 2
    # Computing alone (the demo's evaluation), each read the table whole and drew the same
    # grid; afterwards the table was split again.
    assert reports[0]["whole_table"][0] == [report["samples"], CONTENT_DIM]
    assert reports[0]["whole_table"] == reports[1]["whole_table"]
    assert reports[0]["grid"] == reports[1]["grid"]
    assert [r["content_rows_after"] for r in reports] == [report["samples"] // 2] * 2
    # One seed agreed by all: `keras.distribution.initialize` seeds every process alike.
    assert reports[0]["unseeded_shuffle_seed"] == reports[1]["unseeded_shuffle_seed"]
    for process in reports:
        np.testing.assert_allclose(
            process["step_loss"], report["data"]["step_loss"], rtol=LOSS_RTOL
        )
        np.testing.assert_allclose(
            process["epoch_loss"], report["data"]["epoch_losses"][0], atol=1e-3
        )


def test_a_process_killed_mid_run_resumes_with_the_others(two_processes):
    assert two_processes["train_returncodes"][1] == -signal.SIGKILL
    state = two_processes["state"]
    assert (state["epoch"], state["format"], state["weights"]) == (2, "orbax", "epoch_0002.orbax")
    # The older checkpoint is gone once the state names the newer one.
    assert two_processes["checkpoint_entries"] == ["epoch_0002.orbax", "state.json"]
    resumed = two_processes["resumed"]
    assert [r["resumed_epochs"] for r in resumed] == [[2], [2]]
    assert resumed[0]["resumed_loss"] == resumed[1]["resumed_loss"]
    # The checkpoint of 2 processes, whose table no process held whole, resumed by one
    # process on the same 4 devices: the same third epoch.
    alone = two_processes["alone"]
    assert alone["resumed_epochs"] == [2]
    np.testing.assert_allclose(alone["resumed_loss"], resumed[0]["resumed_loss"], rtol=LOSS_RTOL)


def test_a_trainer_split_over_processes_saves_one_file(two_processes):
    from keras_lord.saving import load_trainer

    folder = two_processes["folder"]
    assert [path.name for path in folder.glob(".*partial*")] == []
    written = load_trainer(folder / "checkpoint.trainer.keras")
    alone = load_trainer(folder / "copy.trainer.keras")
    for name in ("class", "content"):
        np.testing.assert_allclose(
            written.tables.table(name), alone.tables.table(name), atol=TABLE_ATOL
        )


def test_keras_lord_train_on_four_devices(tmp_path):
    from keras_lord.data import SyntheticObjects

    SyntheticObjects(num_classes=4, num_azimuths=6, num_elevations=2, seed=1).data().save_npz(
        tmp_path / "objects.npz"
    )
    command = [sys.executable, "-m", "keras_lord.cli", "train", "objects.npz", "--out", "run"]
    command += ["--epochs", "1", "--encoder-epochs", "1", "--batch-size", "12"]
    command += ["--perceptual-layers", "block1_conv2", "--distribution", "model"]
    env = dict(child_env(), XLA_FLAGS="--xla_force_host_platform_device_count=4")
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Training on 4 devices (--distribution model)" in result.stdout
    run = tmp_path / "run"
    assert len((run / "stage1_log.csv").read_text().splitlines()) == 2
    assert sorted(path.name for path in (run / "grids").iterdir()) == [
        "stage1_translations_epoch_0001.png",
        "stage2_translations_epoch_0001.png",
    ]
    import keras_lord

    model = keras_lord.load(run / "model.keras")
    data = SyntheticObjects(num_classes=4, num_azimuths=6, num_elevations=2, seed=1).data()
    images = model.translate(data.images[:3], data.images[3:6])
    assert images.shape == (3, 32, 32, 3) and np.all(np.isfinite(images))


def test_a_table_whose_rows_do_not_split_is_refused(report):
    message = report["uneven_rows_refusal"]
    assert message.startswith("The content table's 121 rows do not split evenly over the 2")
    assert "--distribution data" in message
