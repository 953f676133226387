"""`keras-lord train` that SIGKILLs itself at a chosen point: the child of the crash test.

Usage: `python crash_run.py DATA.npz RUN_FOLDER [KILL_POINT]`, KILL_POINT one of `KILL_POINTS`.

Every file keras-lord writes goes through `os.replace` (`keras_lord.utils.files.atomic_path`),
so a kill "during" a write is injected there: the temporary file is cut to half its size,
which is what a process killed while writing leaves, and the process kills itself before the
rename. A kill "after" a write lets the rename happen first. A kill mid-step comes from a
timer started as a training batch begins, so it lands inside the step's computation.

Points name their file or step absolutely (not "the second write"), so a chain of runs,
each resuming the last, reaches each point of the chain if the points are in the order
training reaches them.
"""

import sys
import threading

from kill_child import die, kill_in_write

# A write: (the end of the destination path, "during" or "after"); the first such write of
# the process is the one killed. A step: ("step", stage, epoch from 1, batch from 0).
KILL_POINTS = {
    "run_json": ("run.json", "during"),
    "stage1_weights_epoch1": ("stage1/epoch_0001.weights.h5", "during"),
    "stage1_mid_step": ("step", 1, 2, 1),
    "stage1_weights_epoch2_renamed": ("stage1/epoch_0002.weights.h5", "after"),
    "stage1_state": ("stage1/state.json", "during"),
    "stage1_grid_epoch3": ("grids/stage1_translations_epoch_0003.png", "during"),
    "stage1_file": ("stage1.keras", "during"),
    "stage2_mid_step": ("step", 2, 1, 2),
    "stage2_weights_epoch1": ("stage2/epoch_0001.weights.h5", "during"),
    "synthesis_mid_step": ("step", 3, 1, 1),
    "synthesis_weights_epoch1": ("synthesis/epoch_0001.weights.h5", "during"),
    "trainer_file": ("trainer.keras", "during"),
    "model_file": ("model.keras", "during"),
}

TRAIN_OPTIONS = (
    "--epochs",
    "3",
    "--encoder-epochs",
    "2",
    "--batch-size",
    "4",
    "--latent-lr",
    "0.01",
    "--perceptual-layers",
    "block1_conv2,block2_conv2",
    # Stage 2's random draws must resume too.
    "--encoder-shift",
    "1",
    "--content-code-noise",
    "0.3",
    # The synthesis stage resumes too.
    "--synthesis-epochs",
    "1",
    "--seed",
    "4",
)


def _kill_in_step(stage, epoch, batch):
    from keras_lord.callbacks import FiniteLossGuard

    def remember_epoch(self, index, logs=None):
        self.epoch_number = index + 1

    def maybe_die(self, index, logs=None):
        if (self.model.stage, self.epoch_number, index) == (stage, epoch, batch):
            threading.Timer(0.02, die).start()

    FiniteLossGuard.on_epoch_begin = remember_epoch
    FiniteLossGuard.on_train_batch_begin = maybe_die


def main(data_path, folder, kill_point=None):
    if kill_point:
        point = KILL_POINTS[kill_point]
        if point[0] == "step":
            _kill_in_step(*point[1:])
        else:
            kill_in_write(*point)
    from keras_lord.cli import main as keras_lord_main

    return keras_lord_main(["train", data_path, "--out", folder, *TRAIN_OPTIONS])


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
