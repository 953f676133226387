"""The README's main job: LORD on rendered objects, end to end, in minutes on a CPU."""

import json
import os
import shutil
import time

import keras
import numpy as np

from keras_lord.callbacks import ResumableCheckpoint, TranslationGrid
from keras_lord.data import SyntheticObjects
from keras_lord.trainers.lord_trainer import LordTrainer
from keras_lord.utils.image_grid import save_png, translation_grid


def transfer_errors(
    trainer: LordTrainer, objects: SyntheticObjects, data, num_pairs: int = 256, seed: int = 0
) -> dict:
    """Mean squared error of class/content transfer against the exact rendered answer.

    For random pairs of training images (i, j) of different classes, the model renders the
    class of i with the content code of j; the truth is object i seen from j's viewpoint.
    The baseline copies image j (right viewpoint, wrong object).

    Args:
        trainer: a stage-1 trainer fit on `data`.
        objects: the generator of `data`.
        data: the `LordData` the trainer was fit on (sample id = index).
        num_pairs: pairs drawn.
        seed: seed of the pairs.

    Returns:
        `{"lord_mse": float, "copy_content_mse": float}`.

    """
    rng = np.random.default_rng(seed)
    first = rng.integers(0, data.num_samples, num_pairs)
    second = rng.integers(0, data.num_samples, num_pairs)
    keep = data.class_ids[first] != data.class_ids[second]
    first, second = first[keep], second[keep]
    truth = objects.render(data.class_ids[first], data.content_ids[second]) / 255.0
    generated = trainer.generate(data.class_ids[first], second)
    copied = data.float_images()[second]
    return {
        "lord_mse": float(np.mean((generated - truth) ** 2)),
        "copy_content_mse": float(np.mean((copied - truth) ** 2)),
    }


def class_leakage(trainer: LordTrainer, data) -> float:
    """Cross-validated accuracy of predicting the class from the stage-1 content codes."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    codes = keras.ops.convert_to_numpy(trainer.content_embedding.embeddings)
    model = LogisticRegression(max_iter=3000)
    return float(cross_val_score(model, codes, data.class_ids, cv=4).mean())


def run_demo(
    output_dir="outputs/demo",
    num_classes: int = 12,
    num_views: int = 12,
    epochs: int = 80,
    batch_size: int = 32,
    force: bool = False,
    verbose: int = 1,
) -> dict:
    """Trains LORD's stage 1 (`small` preset) on rendered objects and reports what it learned.

    Writes translation grids every few epochs, a crash-safe checkpoint (rerunning resumes),
    the model as `lord.keras`, a ground-truth grid and `summary.json`.

    Args:
        output_dir: folder of everything written.
        num_classes: objects rendered.
        num_views: viewpoints (azimuths) per object.
        epochs: training epochs.
        batch_size: batch size.
        force: start over even if `output_dir` holds a finished run.
        verbose: Keras verbosity.

    Returns:
        The summary dict.

    Raises:
        FileExistsError: if `output_dir` holds a finished run and `force` is false.

    """
    summary_path = os.path.join(output_dir, "summary.json")
    if os.path.exists(summary_path):
        if not force:
            raise FileExistsError(
                f"{output_dir} holds a finished demo ({summary_path}); pass --force to redo it "
                "or choose another --out."
            )
        shutil.rmtree(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    print(f"keras-lord demo on the {keras.backend.backend()} backend -> {output_dir}")
    print(f"Rendering {num_classes} objects from {num_views} viewpoints")
    objects = SyntheticObjects(
        num_classes=num_classes, num_azimuths=num_views, num_elevations=1, seed=0
    )
    data = objects.data(verbose=verbose > 0)
    trainer = LordTrainer(
        num_classes=data.num_classes,
        num_samples=data.num_samples,
        image_shape=data.image_shape,
        preset="small",
        seed=0,
    )
    trainer.compile()
    grids = os.path.join(output_dir, "grids")
    callbacks = [
        ResumableCheckpoint(os.path.join(output_dir, "checkpoint")),
        TranslationGrid(data.inputs(), grids, every=max(1, epochs // 8), scale=3),
        keras.callbacks.CSVLogger(os.path.join(output_dir, "log.csv"), append=True),
    ]
    start = time.perf_counter()
    history = trainer.fit(
        data.inputs(), batch_size=batch_size, epochs=epochs, callbacks=callbacks, verbose=verbose
    )
    seconds = time.perf_counter() - start
    model_path = os.path.join(output_dir, "lord.keras")
    trainer.save(model_path)

    grid = callbacks[1]
    truth = objects.render(
        np.repeat(grid.class_sources["class_id"], len(grid.content_sources["sample_id"])),
        np.tile(
            data.content_ids[grid.content_sources["sample_id"]], len(grid.class_sources["class_id"])
        ),
    ).reshape((len(grid.class_sources["class_id"]), -1) + data.image_shape)
    truth_path = os.path.join(output_dir, "ground_truth.png")
    save_png(
        truth_path,
        translation_grid(grid.class_sources["image"], grid.content_sources["image"], truth),
        scale=3,
    )
    epochs_run = len(history.epoch)
    summary = {
        "backend": keras.backend.backend(),
        "images": data.num_samples,
        "epochs_run": epochs_run,
        "train_seconds": round(seconds, 1),
        "images_per_second": round(epochs_run * data.num_samples / seconds, 1)
        if epochs_run
        else None,
        "final_reconstruction": history.history["reconstruction"][-1] if epochs_run else None,
        "transfer": transfer_errors(trainer, objects, data),
        "class_from_content_accuracy": class_leakage(trainer, data),
        "chance_accuracy": 1.0 / data.num_classes,
        "model": model_path,
        "translation_grid": grid.last_path,
        "ground_truth_grid": truth_path,
    }
    with open(summary_path, "w") as file:
        json.dump(summary, file, indent=2)
    transfer = summary["transfer"]
    print(
        f"\nTrained {epochs_run} epochs on {data.num_samples} images in {seconds:.0f}s.\n"
        f"Class/content transfer MSE vs the rendered truth: LORD {transfer['lord_mse']:.4f}, "
        f"copying the content image {transfer['copy_content_mse']:.4f}.\n"
        f"Class predicted from content codes: {summary['class_from_content_accuracy']:.2f} "
        f"accuracy (chance {summary['chance_accuracy']:.2f}).\n"
        f"Translations (rows: class source, columns: content source): {grid.last_path}\n"
        f"Ground truth of the same grid: {truth_path}\nModel: {model_path}\n"
        f"Summary: {summary_path}"
    )
    return summary
