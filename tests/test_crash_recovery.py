"""A run killed with SIGKILL at many points, then resumed, ends as if it had never been killed.

The `crashed_run` fixture (conftest) kills one run folder at each point of a chain in turn
(`crash_run.KILL_POINTS`: during and after writes of each kind, and mid-step in both
stages), each process resuming what the last left, and a last process finishes it. Its
weights, logs and grids must equal those of a run never interrupted, bit for bit, and it
must hold exactly the files that run holds.
"""

import filecmp
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import CRASH_CHAINS, child_env
from crash_run import KILL_POINTS, TRAIN_OPTIONS

import keras_lord
from keras_lord.cli import main
from keras_lord.run_outputs import remove_run_outputs

pytestmark = pytest.mark.slow


def files_under(folder) -> set:
    return {str(path.relative_to(folder)) for path in Path(folder).rglob("*") if path.is_file()}


def assert_same_variables(expected, resumed):
    # Paths differ by the counters Keras appends to names of objects loaded twice.
    assert [v.shape for v in expected] == [v.shape for v in resumed]
    for left, right in zip(expected, resumed):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(left), keras.ops.convert_to_numpy(right), left.path
        )


def test_the_chains_cover_every_kill_point():
    covered = {point for chain in CRASH_CHAINS.values() for point in chain}
    assert covered == set(KILL_POINTS)


def test_every_kill_point_was_reached(crashed_run):
    assert not crashed_run.not_reached, (
        f"the run finished instead of being killed at {crashed_run.not_reached}"
    )


def test_resumed_run_has_the_uninterrupted_weights(crashed_run):
    for name in ("stage1.keras", "trainer.keras"):
        assert_same_variables(
            keras_lord.load_trainer(crashed_run.uninterrupted / name).variables,
            keras_lord.load_trainer(crashed_run.killed / name).variables,
        )
    assert_same_variables(
        keras_lord.load(crashed_run.uninterrupted).variables,
        keras_lord.load(crashed_run.killed).variables,
    )


def test_logs_and_grids_hold_every_epoch_once(crashed_run):
    for name in ("stage1_log.csv", "stage2_log.csv", "synthesis_log.csv"):
        expected = (crashed_run.uninterrupted / name).read_text()
        assert (crashed_run.killed / name).read_text() == expected, name
    grids = sorted(files_under(crashed_run.uninterrupted / "grids"))
    assert grids == sorted(files_under(crashed_run.killed / "grids"))
    _, mismatch, errors = filecmp.cmpfiles(
        crashed_run.uninterrupted / "grids", crashed_run.killed / "grids", grids, shallow=False
    )
    assert not mismatch and not errors, mismatch + errors


def test_no_stray_files_are_left(crashed_run):
    assert files_under(crashed_run.killed) == files_under(crashed_run.uninterrupted)


def test_a_kill_in_the_clean_up_of_force_leaves_a_run_refused_not_resumed(crashed_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(crashed_run.uninterrupted, run)
    (run / "grids" / "mine.png").write_bytes(b"the user's")
    command = ["train", str(crashed_run.data_path), "--out", str(run), *TRAIN_OPTIONS]
    command += ["--seed", "5"]  # other settings, so --force replaces the run
    child = [sys.executable, str(Path(__file__).with_name("kill_child.py")), "removed:stage1.keras"]
    result = subprocess.run(
        child + command + ["--force"], env=child_env(), capture_output=True, timeout=600
    )
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    # run.json goes last: the folder still names the old run, so the new settings are
    # refused rather than resumed from what is left.
    assert (run / "run.json").exists() and not (run / "stage1.keras").exists()
    assert main(command) == 2
    remove_run_outputs(run)
    assert files_under(run) == {"grids/mine.png"}
