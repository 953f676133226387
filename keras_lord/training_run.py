"""Both LORD stages as one resumable run in a folder: what `keras-lord train` does."""

import json
import os
import shutil
import time

import keras

from keras_lord.callbacks import ResumableCheckpoint, TranslationGrid
from keras_lord.data import LordData
from keras_lord.models.lord_generator import check_image_shape
from keras_lord.presets import get_preset
from keras_lord.saving import MODEL_FILE, TRAINER_FILE, load_trainer
from keras_lord.trainers.lord_trainer import LordTrainer
from keras_lord.trainers.optimization import TABLE_UPDATES
from keras_lord.utils.files import write_json

STAGE1_FILE = "stage1.keras"
RUN_FILE = "run.json"


def train_run(
    data: LordData,
    output_dir,
    preset: str = "small",
    epochs: int = 200,
    encoder_epochs: int = 200,
    batch_size: int = 64,
    latent_learning_rate: float = 3e-3,
    table_updates: str = "rowwise",
    force: bool = False,
    seed: int = 0,
    verbose: int = 1,
    **trainer_arguments,
) -> LordTrainer:
    """Trains stage 1 and stage 2 in `output_dir`, resuming whatever an earlier run left.

    The folder receives `run.json` (the settings), `checkpoint/stage1|stage2` (crash-safe
    state after every epoch), `grids/` (translation PNGs), `stage1_log.csv` and
    `stage2_log.csv`, `stage1.keras` (the trainer) once stage 1 is done, and once both are
    `trainer.keras` (the whole training state) and `model.keras` (the `LordModel` for
    inference, without tables, optimiser or VGG).

    Args:
        data: the training images.
        output_dir: the run folder.
        preset: `"small"` or `"paper"`; the image shape is taken from the data.
        epochs: stage-1 epochs.
        encoder_epochs: stage-2 epochs.
        batch_size: batch size of both stages.
        latent_learning_rate: stage-1 learning rate of the class and content tables. Raise
            it for small datasets: see the concepts page on table rows.
        table_updates: `"rowwise"` or `"dense"` Adam for the tables (`LordTrainer.compile`).
        force: delete a finished (or differently configured) run in `output_dir` first.
        seed: seed of the model's initial weights and noise.
        verbose: Keras verbosity.
        **trainer_arguments: other `LordTrainer` arguments (e.g. `adain_dim`).

    Returns:
        The trained `LordTrainer` (its `model` is what `model.keras` holds).

    Raises:
        FileExistsError: if `output_dir` holds a finished run, or one with other settings,
            and `force` is false.
        ValueError: for an unknown preset or table update mode, raised before anything in
            `output_dir` is touched.

    """
    output_dir = os.fspath(output_dir)
    num_adain_layers = trainer_arguments.get(
        "num_adain_layers", get_preset(preset)["num_adain_layers"]
    )
    check_image_shape(data.image_shape, num_adain_layers)
    if table_updates not in TABLE_UPDATES:
        raise ValueError(f"`table_updates` must be one of {TABLE_UPDATES}; got {table_updates!r}.")
    settings = {
        "num_classes": data.num_classes,
        "num_samples": data.num_samples,
        "image_shape": list(data.image_shape),
        "preset": preset,
        "epochs": epochs,
        "encoder_epochs": encoder_epochs,
        "batch_size": batch_size,
        "latent_learning_rate": latent_learning_rate,
        "table_updates": table_updates,
        "seed": seed,
        "trainer_arguments": trainer_arguments,
    }
    run_path = os.path.join(output_dir, RUN_FILE)
    model_path = os.path.join(output_dir, MODEL_FILE)
    if os.path.exists(run_path):
        with open(run_path) as file:
            previous = json.load(file)
        finished = os.path.exists(model_path)
        if (finished or previous != settings) and not force:
            reason = "holds a finished run" if finished else "holds a run with other settings"
            raise FileExistsError(
                f"{output_dir} {reason}; pass --force (force=True) to start over, or use "
                "another output folder."
            )
        if finished or previous != settings:
            shutil.rmtree(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    write_json(run_path, settings)

    stage1_path = os.path.join(output_dir, STAGE1_FILE)
    grids = os.path.join(output_dir, "grids")
    inputs = data.inputs()
    if os.path.exists(stage1_path):
        print(f"Stage 1 already done: loading {stage1_path}")
        trainer = load_trainer(stage1_path)
    else:
        trainer = LordTrainer(
            num_classes=data.num_classes,
            num_samples=data.num_samples,
            image_shape=data.image_shape,
            preset=preset,
            seed=seed,
            **trainer_arguments,
        )
        trainer.compile(latent_learning_rate=latent_learning_rate, table_updates=table_updates)
        print(f"Stage 1: latent optimisation, {epochs} epochs on {data.num_samples} images")
        _fit_stage(trainer, inputs, output_dir, "stage1", epochs, batch_size, grids, verbose)
        trainer.save(stage1_path)
    trainer.start_stage2()
    print(f"Stage 2: amortisation, {encoder_epochs} epochs")
    _fit_stage(trainer, inputs, output_dir, "stage2", encoder_epochs, batch_size, grids, verbose)
    trainer.save(os.path.join(output_dir, TRAINER_FILE))
    # Written last: its presence marks the run finished.
    trainer.model.save(model_path)
    print(f"Model written to {model_path}")
    return trainer


def _fit_stage(trainer, inputs, output_dir, stage, epochs, batch_size, grids, verbose):
    grid = TranslationGrid(
        inputs, grids, every=max(1, epochs // 10), scale=2, filename_prefix=f"{stage}_"
    )
    callbacks = [
        ResumableCheckpoint(os.path.join(output_dir, "checkpoint", stage)),
        grid,
        keras.callbacks.CSVLogger(os.path.join(output_dir, f"{stage}_log.csv"), append=True),
    ]
    start = time.perf_counter()
    history = trainer.fit(
        inputs, batch_size=batch_size, epochs=epochs, callbacks=callbacks, verbose=verbose
    )
    if history.epoch:
        seconds = time.perf_counter() - start
        print(f"{stage}: {len(history.epoch)} epochs in {seconds:.0f}s; last grid {grid.last_path}")
