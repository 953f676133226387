"""The files a training run writes in its folder, and removing them (and nothing else).

`train_run --force` replaces a run by removing what it can name as a run's own: the files
below by name, and inside `grids/` and `checkpoint/` only files named as a run names them.
A user's file (in `grids/` too) stays, and so do the folders holding one.
"""

import os
import re

from keras_lord.saving import MODEL_FILE, TRAINER_FILE
from keras_lord.utils.files import remove_partial_files

STAGE1_FILE = "stage1.keras"
RUN_FILE = "run.json"
CHECKPOINT_FOLDER = "checkpoint"
GRID_FOLDER = "grids"
# The content-transfer log of `keras-lord train --eval-data`.
TRANSFER_LOG = "transfer_log.csv"
# The stages a run trains, each with its checkpoint folder, log and grids.
RUN_STAGES = ("stage1", "stage2", "synthesis")
# The run's files at the top of its folder; `run.json` last, as removal goes.
RUN_FILES = (
    STAGE1_FILE,
    TRAINER_FILE,
    MODEL_FILE,
    TRANSFER_LOG,
    *(f"{stage}_log.csv" for stage in RUN_STAGES),
    RUN_FILE,
)
_GRID_NAME = re.compile(rf"^({'|'.join(RUN_STAGES)})_translations_epoch_\d{{4}}\.png$")
_CHECKPOINT_NAME = re.compile(r"^(state\.json|epoch_\d{4}\.weights\.h5)$")


def _run_folders(output_dir) -> list:
    """`(folder, pattern of the run's files in it)`, innermost first."""
    checkpoints = [
        (os.path.join(output_dir, CHECKPOINT_FOLDER, stage), _CHECKPOINT_NAME)
        for stage in RUN_STAGES
    ]
    return [(os.path.join(output_dir, GRID_FOLDER), _GRID_NAME), *checkpoints]


def run_files_present(output_dir) -> list:
    """The names of a run's files that `output_dir` holds (run.json aside), for messages.

    Args:
        output_dir: the run folder.

    Returns:
        Paths relative to `output_dir`.

    """
    found = [name for name in RUN_FILES[:-1] if os.path.isfile(os.path.join(output_dir, name))]
    for folder, pattern in _run_folders(output_dir):
        if os.path.isdir(folder):
            found += [
                os.path.relpath(os.path.join(folder, name), output_dir)
                for name in sorted(os.listdir(folder))
                if pattern.match(name)
            ]
    return found


def remove_run_outputs(output_dir) -> None:
    """Removes a run's files from its folder, `run.json` last.

    Until `run.json` goes, the folder still names a run (with other settings than the one
    starting), so a kill part-way leaves a folder that the next start refuses, or cleans
    again with `force`: never a `stage1.keras` trusted as the new run's.

    Args:
        output_dir: the run folder.

    """
    for folder, pattern in _run_folders(output_dir):
        if not os.path.isdir(folder):
            continue
        remove_partial_files(folder)
        for name in os.listdir(folder):
            if pattern.match(name):
                os.remove(os.path.join(folder, name))
        if not os.listdir(folder):
            os.rmdir(folder)
    checkpoints = os.path.join(output_dir, CHECKPOINT_FOLDER)
    if os.path.isdir(checkpoints) and not os.listdir(checkpoints):
        os.rmdir(checkpoints)
    for name in RUN_FILES:
        path = os.path.join(output_dir, name)
        if os.path.isfile(path):
            os.remove(path)
