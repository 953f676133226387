"""Both LORD stages as one resumable run in a folder: what `keras-lord train` does."""

import contextlib
import hashlib
import math
import os
import time

import keras
import numpy as np

from keras_lord import backend
from keras_lord.callbacks import FiniteLossGuard, ResumableCheckpoint, TranslationGrid
from keras_lord.data import LordData
from keras_lord.distribution.processes import (
    check_same_on_every_process,
    is_first_process,
    together,
)
from keras_lord.losses import VGGPerceptualLoss
from keras_lord.models.lord_generator import check_image_shape
from keras_lord.presets import get_preset
from keras_lord.run_checks import check_run_arguments, check_stage2_options, check_synthesis
from keras_lord.run_folder import FolderAction, folder_action
from keras_lord.run_outputs import (
    CHECKPOINT_FOLDER,
    GRID_FOLDER,
    RUN_FILE,
    RUN_STAGES,
    STAGE1_FILE,
    remove_run_outputs,
)
from keras_lord.saving import MODEL_FILE, TRAINER_FILE, load_trainer
from keras_lord.trainers.code_sources import get_code_source
from keras_lord.trainers.compile_settings import CompileSettings
from keras_lord.trainers.latent_learning_rate import AUTO
from keras_lord.trainers.lord_trainer import LordTrainer
from keras_lord.trainers.precision import PRECISIONS, choose_precision
from keras_lord.utils.files import atomic_path, remove_partial_files, write_json
from keras_lord.utils.run_lock import RunLock


def data_fingerprint(data: LordData) -> dict:
    """What identifies a training set: its size, shape, dtype and a hash of a sample of it.

    Args:
        data: the training images.

    Returns:
        `{"num_samples", "image_shape", "dtype", "sample_sha256"}`; the hash covers up to 64
        images spread over the set and all class ids.

    """
    rows = np.unique(np.linspace(0, data.num_samples - 1, 64).astype("int64"))
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(data.images[rows]).tobytes())
    digest.update(np.ascontiguousarray(data.class_ids, dtype="int64").tobytes())
    return {
        "num_samples": data.num_samples,
        "image_shape": list(data.image_shape),
        "dtype": str(data.images.dtype),
        "sample_sha256": digest.hexdigest(),
    }


def train_run(
    data: LordData,
    output_dir,
    preset: str = "small",
    epochs: int = 200,
    encoder_epochs: int = 200,
    batch_size: int = 64,
    latent_learning_rate: float | str = AUTO,
    table_updates: str = "rowwise",
    content_initialization: str = AUTO,
    perceptual_layers: tuple | None = None,
    force: bool = False,
    seed: int = 0,
    verbose: int = 1,
    callbacks: list | None = None,
    stage2_options: dict | None = None,
    checkpoint_interval_seconds: float = 0.0,
    reuse_finished: bool = False,
    synthesis_epochs: int = 0,
    synthesis_options: dict | None = None,
    **trainer_arguments,
) -> LordTrainer:
    """Trains stage 1 and stage 2 in `output_dir`, resuming whatever an earlier run left.

    With `synthesis_epochs`, the optional adversarial synthesis stage follows stage 2
    (`LordTrainer.start_synthesis`), with its checkpoint in `checkpoint/synthesis` and its
    log in `synthesis_log.csv`.

    The folder receives `run.json` (the settings and a fingerprint of the data),
    `checkpoint/stage1|stage2` (crash-safe state after every epoch, or see
    `checkpoint_interval_seconds`), `grids/` (translation
    PNGs), `stage1_log.csv` and `stage2_log.csv`, `stage1.keras` (the trainer) once stage 1
    is done, and once both are `trainer.keras` (the whole training state) and `model.keras`
    (the `LordModel` for inference, without tables, optimiser or VGG). While it runs,
    `run.lock` keeps a second run out of the folder. Files of a write that a crash cut off
    are removed when the run starts again.

    Under several processes training together (JAX, `keras.distribution.initialize`),
    every process calls it with the same arguments and data, the folder shared: the first
    holds the lock and writes the run's files, all of them read the folder first and stop
    together if one of them cannot go on (`docs/distributed.md`).

    Args:
        data: the training images.
        output_dir: the run folder.
        preset: `"small"` or `"paper"`; the image shape is taken from the data.
        epochs: stage-1 epochs.
        encoder_epochs: stage-2 epochs.
        batch_size: batch size of both stages.
        latent_learning_rate: stage-1 learning rate of the class and content tables;
            `"auto"` sets it from the epochs (`LordTrainer.compile`): `0.6 / epochs`
            within `[3e-3, 3e-2]`.
        table_updates: `"rowwise"` or `"dense"` Adam for the tables (`LordTrainer.compile`).
        content_initialization: where stage 1 starts the content codes: `"auto"` (the
            principal components of each image's offset from its class mean), `"pca"` or
            `"random"` (`LordTrainer.compile`).
        perceptual_layers: VGG16 layers of the perceptual loss (`VGGPerceptualLoss`'s
            `feature_layers`); `None` for its defaults. Shallower layers train faster and
            fit images smaller than 32x32.
        force: start over in a folder that holds a finished run, or one with other settings
            or data: the files a run writes are removed (`keras_lord.run_outputs`), nothing else.
        seed: seed of the model's initial weights and noise.
        verbose: Keras verbosity.
        callbacks: more Keras callbacks, given to both stages (e.g. a `TransferEvaluation`
            of held-out data); each epoch's run before its checkpoint. They do not change
            the training, so a run resumes with or without them.
        stage2_options: `LordTrainer.compile` arguments of stage 2 (e.g.
            `{"mixed_code_weight": 1.0}`), given to `start_stage2`.
        checkpoint_interval_seconds: least time between two checkpoints
            (`ResumableCheckpoint(min_interval_seconds=...)`); 0 writes one after every
            epoch. Where epochs take seconds, checkpoints cost more than a crash would.
        synthesis_epochs: epochs of the adversarial synthesis stage; 0 (the default)
            leaves it out.
        synthesis_options: `LordTrainer.compile` arguments of the synthesis stage (e.g.
            `{"adversarial_weight": 0.1}`), given to `start_synthesis`.
        reuse_finished: return the trainer of a finished run with the same settings and
            data (`trainer.keras`) instead of refusing it, e.g. for a job that evaluates
            after training and was cut off in between.
        **trainer_arguments: other `LordTrainer` arguments (e.g. `adain_dim`).

    Returns:
        The trained `LordTrainer` (its `model` is what `model.keras` holds).

    Raises:
        FileExistsError: if `output_dir` holds a finished run (unless `reuse_finished` and
            its settings and data match), or one with other settings or data, and `force`
            is false; or if it holds files named as a run's but no `run.json` (`force` or
            not: they are not a run's).
        ValueError: for an unknown preset or table update mode, an image shape the preset
            cannot generate, or an argument out of range, raised before anything in
            `output_dir` is touched.
        RunLockedError: if another live process runs in `output_dir`.
        NonFiniteLossError: if the loss becomes NaN or infinite (the last checkpoint is kept).

    """
    output_dir = os.fspath(output_dir)
    check_run_arguments(epochs, encoder_epochs, batch_size, latent_learning_rate, perceptual_layers)
    if perceptual_layers is not None:
        perceptual_layers = [str(layer) for layer in perceptual_layers]
    num_adain_layers = trainer_arguments.get(
        "num_adain_layers", get_preset(preset)["num_adain_layers"]
    )
    check_image_shape(data.image_shape, num_adain_layers)
    stage1_compile = {
        "latent_learning_rate": latent_learning_rate,
        "table_updates": table_updates,
        "content_initialization": content_initialization,
    }
    CompileSettings(**stage1_compile)
    if not checkpoint_interval_seconds >= 0:
        raise ValueError(
            "`checkpoint_interval_seconds` must be 0 (a checkpoint every epoch) or more; got "
            f"{checkpoint_interval_seconds!r}."
        )
    stage2_options = dict(stage2_options or {})
    check_stage2_options(
        stage2_options,
        data.image_shape,
        code_source=get_code_source(trainer_arguments.get("stage1_codes", "tables")),
    )
    synthesis_options = dict(synthesis_options or {})
    check_synthesis(synthesis_epochs, synthesis_options, data.image_shape, trainer_arguments)
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
        "content_initialization": content_initialization,
        "perceptual_layers": perceptual_layers,
        "seed": seed,
        "trainer_arguments": trainer_arguments,
        "stage2_options": stage2_options,
        "synthesis_epochs": synthesis_epochs,
        "synthesis_options": synthesis_options,
        "data": data_fingerprint(data),
    }
    run_path = os.path.join(output_dir, RUN_FILE)
    with contextlib.ExitStack() as held:
        # Several processes training one run (JAX) share its folder: the first holds the
        # lock and writes; all of them read it and must find the same run there.
        lock = RunLock(output_dir) if is_first_process() else contextlib.nullcontext()
        together(lambda: held.enter_context(lock), f"locking {output_dir}")
        action = together(
            lambda: folder_action(output_dir, settings, force, reuse_finished),
            f"reading {output_dir}",
        )
        check_same_on_every_process([action, settings], f"runs in {output_dir}")
        backend.wait_for_processes(f"keras-lord read {output_dir}")
        if is_first_process():
            if action == FolderAction.RESTART:
                remove_run_outputs(output_dir)
            for folder in ("", GRID_FOLDER, CHECKPOINT_FOLDER) + tuple(
                os.path.join(CHECKPOINT_FOLDER, stage) for stage in RUN_STAGES
            ):
                remove_partial_files(os.path.join(output_dir, folder))
        backend.wait_for_processes(f"keras-lord prepared {output_dir}")
        if action == FolderAction.REUSE:
            return load_trainer(os.path.join(output_dir, TRAINER_FILE))
        trainer = together(
            lambda: _build_or_load_trainer(
                data,
                output_dir,
                preset,
                stage1_compile,
                perceptual_layers,
                seed,
                trainer_arguments,
            ),
            "building the trainer",
        )
        # Written once the trainer could be built, so a start that failed on the way leaves
        # no settings behind to refuse the next, corrected command with.
        if is_first_process():
            write_json(run_path, settings)
        return _train_both_stages(
            trainer,
            data,
            output_dir,
            epochs,
            encoder_epochs,
            batch_size,
            verbose,
            callbacks or [],
            settings["stage2_options"],
            checkpoint_interval_seconds,
            synthesis_epochs,
            synthesis_options,
        )


def _build_or_load_trainer(
    data,
    output_dir,
    preset,
    stage1_compile,
    perceptual_layers,
    seed,
    trainer_arguments,
):
    stage1_path = os.path.join(output_dir, STAGE1_FILE)
    if os.path.exists(stage1_path):
        print(f"Stage 1 already done: loading {stage1_path}")
        return load_trainer(stage1_path)
    if perceptual_layers is not None:
        # Chosen once, so that the loss's VGG computes in the networks' precision.
        precision = choose_precision(trainer_arguments.get("precision", "float32"))
        trainer_arguments = dict(
            trainer_arguments,
            precision=precision,
            perceptual_loss=VGGPerceptualLoss(
                feature_layers=perceptual_layers,
                dtype=PRECISIONS.get(precision),
                name="perceptual_loss",
            ),
        )
    trainer = LordTrainer(
        num_classes=data.num_classes,
        num_samples=data.num_samples,
        image_shape=data.image_shape,
        preset=preset,
        seed=seed,
        **trainer_arguments,
    )
    trainer.compile(**stage1_compile)
    return trainer


def _train_both_stages(
    trainer,
    data,
    output_dir,
    epochs,
    encoder_epochs,
    batch_size,
    verbose,
    extra_callbacks,
    stage2_options,
    checkpoint_interval_seconds,
    synthesis_epochs,
    synthesis_options,
):
    inputs = data.inputs()
    fitting = (batch_size, verbose, extra_callbacks, checkpoint_interval_seconds)
    stage1_path = os.path.join(output_dir, STAGE1_FILE)
    if not os.path.exists(stage1_path):
        print(f"Stage 1: latent optimisation, {epochs} epochs on {data.num_samples} images")
        _fit_stage(trainer, inputs, output_dir, "stage1", epochs, *fitting)
        trainer.save(stage1_path)
    if not trainer.code_source.has_second_stage:
        print(
            f"Stage 2 skipped: the encoders of `stage1_codes={trainer.stage1_codes!r}` were "
            "trained in stage 1"
        )
    else:
        trainer.start_stage2(**stage2_options)
        print(f"Stage 2: amortisation, {encoder_epochs} epochs")
        _fit_stage(trainer, inputs, output_dir, "stage2", encoder_epochs, *fitting)
    if synthesis_epochs:
        trainer.start_synthesis(**synthesis_options)
        print(f"Synthesis: adversarial fine-tuning, {synthesis_epochs} epochs")
        _fit_stage(trainer, inputs, output_dir, "synthesis", synthesis_epochs, *fitting)
    trainer.save(os.path.join(output_dir, TRAINER_FILE))
    # Written last: its presence marks the run finished.
    model_path = os.path.join(output_dir, MODEL_FILE)
    trainer.model.save(model_path)
    print(f"Model written to {model_path}")
    return trainer


def _fit_stage(
    trainer,
    inputs,
    output_dir,
    stage,
    epochs,
    batch_size,
    verbose,
    extra_callbacks,
    checkpoint_interval_seconds,
):
    grid = TranslationGrid(
        inputs,
        os.path.join(output_dir, GRID_FOLDER),
        every=max(1, epochs // 10),
        scale=2,
        filename_prefix=f"{stage}_",
    )
    log_path = os.path.join(output_dir, f"{stage}_log.csv")
    checkpoint = ResumableCheckpoint(
        os.path.join(output_dir, CHECKPOINT_FOLDER, stage),
        min_interval_seconds=checkpoint_interval_seconds,
    )
    # Every process logs the same losses (they are averaged over all); the first writes them.
    log = [keras.callbacks.CSVLogger(log_path, append=True)] if is_first_process() else []
    # Keras runs callbacks in this order: the grid and the log row of an epoch are written
    # before its checkpoint, so an epoch that a checkpoint marks done has both.
    callbacks = [FiniteLossGuard(), grid, *log, *extra_callbacks, checkpoint]
    if is_first_process():
        _keep_logged_epochs(log_path, checkpoint)
    start = time.perf_counter()
    history = trainer.fit(
        inputs, batch_size=batch_size, epochs=epochs, callbacks=callbacks, verbose=verbose
    )
    if history.epoch:
        seconds = time.perf_counter() - start
        print(f"{stage}: {len(history.epoch)} epochs in {seconds:.0f}s; last grid {grid.last_path}")


def _keep_logged_epochs(log_path, checkpoint):
    """Drops the log rows of epochs that the checkpoint does not hold.

    A kill after an epoch's row was written and before its checkpoint leaves a row for an
    epoch that the resumed run trains again; a kill inside the write leaves half a row.
    """
    if not os.path.exists(log_path):
        return
    with open(log_path) as file:
        lines = file.read().splitlines(keepends=True)
    completed = checkpoint.completed_epochs()
    kept = lines[:1] + [line for line in lines[1:] if _logged_epoch(line) < completed]
    if kept != lines:
        with atomic_path(log_path, suffix=".csv") as temporary:
            with open(temporary, "w") as file:
                file.writelines(kept)


def _logged_epoch(line) -> float:
    field = line.split(",", 1)[0]
    if not line.endswith("\n") or not field.isdigit():
        return math.inf
    return int(field)
