"""`examples/slurm/train.sbatch`: the command each SLURM task runs, as `keras-lord` parses it.

`scontrol` and `srun` are stand-ins that answer and start tasks as SLURM does (each task with
its own `SLURM_PROCID`), and `keras-lord` one that records its arguments; the recorded
command lines must parse into one coordinator and one process id per task.
"""

import os
import pathlib
import shlex
import subprocess

from keras_lord.cli import build_parser

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "examples" / "slurm" / "train.sbatch"

STAND_INS = {
    "scontrol": 'test "$1 $2" = "show hostnames" && printf "gpu-a17\\ngpu-b03\\n"',
    "srun": 'for task in 0 1; do SLURM_PROCID=$task "$@" || exit 1; done',
    "keras-lord": 'printf "%q " "$@" > "$RECORDED/$SLURM_PROCID"',
}


def test_every_task_joins_the_first_host_with_its_own_process_id(tmp_path):
    bin_folder, recorded = tmp_path / "bin", tmp_path / "recorded"
    bin_folder.mkdir()
    recorded.mkdir()
    for name, body in STAND_INS.items():
        path = bin_folder / name
        path.write_text(f"#!/bin/bash\n{body}\n")
        path.chmod(0o755)
    env = dict(
        os.environ,
        PATH=f"{bin_folder}{os.pathsep}{os.environ['PATH']}",
        SLURM_JOB_NODELIST="gpu-a17,gpu-b03",
        SLURM_NTASKS="2",
        RECORDED=str(recorded),
    )
    data, out = "/shared/my data.npz", "/shared/runs/faces"
    result = subprocess.run(
        ["bash", str(SCRIPT), data, out, "--epochs", "50"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    for task in (0, 1):
        arguments = build_parser().parse_args(shlex.split((recorded / str(task)).read_text()))
        assert (arguments.data, arguments.out, arguments.epochs) == (data, out, 50)
        assert arguments.coordinator == "gpu-a17:12345"
        assert (arguments.num_processes, arguments.process_id) == (2, task)
        assert (arguments.distribution, arguments.preset) == ("model", "paper")


def test_the_script_asks_for_its_data_and_run_folder(tmp_path):
    result = subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode != 0
    assert "the training .npz" in result.stderr
