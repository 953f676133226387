"""What a training run does with the folder it is given, decided before it writes.

Every process of a run trained by several (`keras.distribution.initialize`) reads the folder
and must come to the same decision before the first one writes anything.
"""

import enum
import json
import os

from keras_lord.run_outputs import RUN_FILE, run_files_present
from keras_lord.saving import MODEL_FILE
from keras_lord.trainers.latent_learning_rate import AUTO


class FolderAction(str, enum.Enum):
    """What `train_run` does with its folder."""

    START = "start"  # a new run, or the same unfinished run resumed
    RESTART = "restart"  # the run's own files removed first (`force`)
    REUSE = "reuse"  # the finished run's trainer returned (`reuse_finished`)


def read_settings(run_path) -> dict | None:
    """The settings `run.json` records, or `None` where it cannot be read."""
    try:
        with open(run_path) as file:
            return json.load(file)
    except (OSError, ValueError):
        return None


def folder_action(output_dir, settings, force, reuse_finished) -> FolderAction:
    """What a run with `settings` does in `output_dir`, read without writing anything.

    Args:
        output_dir: the run folder.
        settings: the run's settings, as `run.json` records them.
        force: start over where another run's files are.
        reuse_finished: return a finished run with the same settings.

    Returns:
        The `FolderAction`.

    Raises:
        FileExistsError: for a folder holding a finished run (unless reused), a run with
            other settings or data (unless `force`), or a run's file names without
            `run.json`.

    """
    run_path = os.path.join(output_dir, RUN_FILE)
    if not os.path.exists(run_path):
        foreign = run_files_present(output_dir)
        if foreign:
            raise FileExistsError(
                f"{output_dir} holds {', '.join(foreign[:3])} but no {RUN_FILE}: not the "
                "files of a keras-lord run, and keras-lord replaces only its own, even "
                "with --force. Move them, or use another output folder."
            )
        return FolderAction.START
    previous = read_settings(run_path)
    if previous is not None:
        # Runs of keras-lord 0.1 recorded no fingerprint of their data, those of 0.2.0 no
        # perceptual layers, those before 0.3 no stage-2 options or synthesis stage, and
        # older ones no content initialisation.
        previous.setdefault("data", settings["data"])
        previous.setdefault("perceptual_layers", None)
        previous.setdefault("stage2_options", {})
        previous.setdefault("synthesis_epochs", 0)
        previous.setdefault("synthesis_options", {})
        previous.setdefault("content_initialization", AUTO)
    finished = os.path.exists(os.path.join(output_dir, MODEL_FILE))
    if finished and reuse_finished and previous == settings and not force:
        return FolderAction.REUSE
    if previous is None:
        reason = f"holds an unreadable {RUN_FILE}"
    elif finished:
        reason = "holds a finished run"
    elif previous.get("data") != settings["data"]:
        reason = "holds a run on other data"
    elif previous != settings:
        reason = "holds a run with other settings"
    else:
        return FolderAction.START
    if not force:
        raise FileExistsError(
            f"{output_dir} {reason}; pass --force (force=True) to start over (it removes "
            "the run's own files only), or use another output folder."
        )
    return FolderAction.RESTART
