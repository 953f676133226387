"""The README's main job: LORD on rendered objects, end to end, in minutes on a CPU."""

import os
import time

import keras
import numpy as np

from keras_lord.data import SyntheticObjects
from keras_lord.evaluation import content_transfer_error, probe_accuracy
from keras_lord.training_run import check_run_arguments, train_run
from keras_lord.utils.files import write_json
from keras_lord.utils.image_grid import save_png, translation_grid

SUMMARY_FILE = "summary.json"
GRID_FILE = "held_out_translations.png"
REFINED_GRID_FILE = "held_out_translations_refined.png"
TRUTH_FILE = "held_out_ground_truth.png"
# What the demo writes next to its run folder; `force` removes these and nothing else.
DEMO_OUTPUTS = (SUMMARY_FILE, GRID_FILE, REFINED_GRID_FILE, TRUTH_FILE)
# Test-time refinement of held-out class codes (benchmarks/held_out_techniques.py).
REFINEMENT = {"steps": 30, "learning_rate": 1e-2}
# Objects that share a body plan, so a viewpoint looks alike on all of them (docs/quality.md:
# with independent layouts stage 1 does not transfer viewpoints at any length tried).
SHAPE_VARIATION = 0.3
# The demo's epochs take 2 - 5 s and a checkpoint 0.4 s: one every 30 s of training.
CHECKPOINT_INTERVAL_SECONDS = 30.0


def refined_translation(trainer):
    """`trainer.translate` with the class codes refined on the class images (unseen objects)."""

    def translate(class_images, content_images):
        return trainer.translate(class_images, content_images, method="refine", **REFINEMENT)

    return translate


def synthetic_split(
    num_classes: int = 12,
    num_views: int = 12,
    held_out_classes: int = 2,
    verbose: int = 1,
    shape_variation: float = SHAPE_VARIATION,
) -> tuple:
    """Renders the demo's objects and holds the last few out.

    Args:
        num_classes: objects rendered.
        num_views: viewpoints (azimuths) per object.
        held_out_classes: objects kept out of training.
        verbose: show a progress bar while rendering.
        shape_variation: how far the objects' shapes differ (`SyntheticObjects`).

    Returns:
        `(objects, train, test)`: the `SyntheticObjects` and two `LordData` sets.

    """
    objects = SyntheticObjects(
        num_classes=num_classes,
        num_azimuths=num_views,
        num_elevations=1,
        shape_variation=shape_variation,
        seed=0,
    )
    data = objects.data(verbose=verbose > 0)
    train, test = data.split_classes(np.arange(num_classes - held_out_classes, num_classes))
    return objects, train, test


def run_demo(
    output_dir="outputs/demo",
    num_classes: int = 12,
    num_views: int = 12,
    epochs: int = 100,
    encoder_epochs: int = 30,
    batch_size: int = 8,
    latent_learning_rate: float = 3e-2,
    held_out_classes: int = 2,
    shape_variation: float = SHAPE_VARIATION,
    force: bool = False,
    verbose: int = 1,
) -> dict:
    """Trains both LORD stages (`small` preset) on rendered objects and tests them.

    Objects are rendered from several viewpoints; some objects are held out. Both stages are
    trained on the others (`keras_lord.training_run.train_run`: resumable, with grids),
    then the encoders translate held-out objects, never seen in training, and every
    translation is scored against the exact rendering of that object from that viewpoint.

    Args:
        output_dir: folder of everything written.
        num_classes: objects rendered.
        num_views: viewpoints (azimuths) per object.
        epochs: stage-1 epochs.
        encoder_epochs: stage-2 epochs.
        batch_size: batch size (small batches give the generator more steps per epoch).
        latent_learning_rate: stage-1 rate of the tables; 10x the reference default, which
            was tuned on datasets a hundred times larger: here each content code gets too
            few steps to outgrow the noise at `3e-3`.
        held_out_classes: objects kept out of training.
        shape_variation: how far the objects' shapes differ, in `[0, 1]`
            (`SyntheticObjects`).
        force: start over even if `output_dir` holds a finished run: the demo's files and
            the run's own files are removed, nothing else.
        verbose: Keras verbosity.

    Returns:
        The summary dict, also written to `summary.json`, with `train_seconds` (both
        stages) and `total_seconds` (the whole demo, setup excluded), also printed.

    Raises:
        FileExistsError: if `output_dir` holds a finished run and `force` is false.
        ValueError: for an argument out of range, before anything is written or removed.

    """
    check_run_arguments(epochs, encoder_epochs, batch_size, latent_learning_rate)
    for name, value in (("num_classes", num_classes), ("num_views", num_views)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
            raise ValueError(f"`{name}` must be an integer of at least 2; got {value!r}.")
    if not 1 <= held_out_classes < num_classes:
        raise ValueError(
            f"`held_out_classes` must lie in [1, num_classes); got {held_out_classes!r}."
        )
    if not 0.0 <= shape_variation <= 1.0:
        raise ValueError(f"`shape_variation` must lie in [0, 1]; got {shape_variation!r}.")
    summary_path = os.path.join(output_dir, SUMMARY_FILE)
    if os.path.exists(summary_path) and not force:
        raise FileExistsError(
            f"{output_dir} holds a finished demo ({summary_path}); pass --force to redo it "
            "or choose another --out."
        )
    if force:
        # The demo's own files only; the run folder's are `train_run(force=True)`'s to remove.
        for name in DEMO_OUTPUTS:
            path = os.path.join(output_dir, name)
            if os.path.exists(path):
                os.remove(path)
    os.makedirs(output_dir, exist_ok=True)
    demo_start = time.perf_counter()
    print(f"keras-lord demo on the {keras.backend.backend()} backend -> {output_dir}")
    print(f"Rendering {num_classes} objects from {num_views} viewpoints")
    objects, train, test = synthetic_split(
        num_classes, num_views, held_out_classes, verbose, shape_variation
    )
    held_out = np.unique(test.class_ids)

    start = time.perf_counter()
    trainer = train_run(
        train,
        os.path.join(output_dir, "run"),
        preset="small",
        epochs=epochs,
        encoder_epochs=encoder_epochs,
        batch_size=batch_size,
        latent_learning_rate=latent_learning_rate,
        force=force,
        verbose=verbose,
        checkpoint_interval_seconds=CHECKPOINT_INTERVAL_SECONDS,
    )
    seconds = time.perf_counter() - start

    seen = content_transfer_error(trainer.translate, train, num_pairs=256)
    unseen = content_transfer_error(trainer.translate, test, num_pairs=256)
    refine_start = time.perf_counter()
    unseen_refined = content_transfer_error(refined_translation(trainer), test, num_pairs=256)
    refine_seconds = time.perf_counter() - refine_start
    leakage = probe_accuracy(trainer.tables.table("content"), train.class_ids)

    # One row per held-out object, columns: the same object from other viewpoints.
    rows = np.array([np.flatnonzero(test.class_ids == c)[0] for c in held_out])
    other = test.class_ids != test.class_ids[rows[0]]
    columns = np.flatnonzero(other)[:: max(1, other.sum() // 8)][:8]
    if len(held_out) > 1:
        columns = np.concatenate([columns, np.flatnonzero(~other)[1::3][:4]])
    pairs = (
        np.repeat(test.images[rows], len(columns), axis=0),
        np.tile(test.images[columns], (len(rows), 1, 1, 1)),
    )
    grid_shape = (len(rows), len(columns)) + test.image_shape
    table = trainer.translate(*pairs).reshape(grid_shape)
    refined_table = refined_translation(trainer)(*pairs).reshape(grid_shape)
    truth = objects.render(
        np.repeat(test.class_ids[rows], len(columns)), np.tile(test.content_ids[columns], len(rows))
    ).reshape(table.shape)
    grid_path = os.path.join(output_dir, GRID_FILE)
    refined_grid_path = os.path.join(output_dir, REFINED_GRID_FILE)
    truth_path = os.path.join(output_dir, TRUTH_FILE)
    save_png(grid_path, translation_grid(test.images[rows], test.images[columns], table), 3)
    save_png(
        refined_grid_path,
        translation_grid(test.images[rows], test.images[columns], refined_table),
        3,
    )
    save_png(truth_path, translation_grid(test.images[rows], test.images[columns], truth), 3)

    summary = {
        "backend": keras.backend.backend(),
        "train_images": train.num_samples,
        "held_out_classes": held_out.tolist(),
        "shape_variation": shape_variation,
        "epochs": epochs,
        "encoder_epochs": encoder_epochs,
        "latent_learning_rate": latent_learning_rate,
        "train_seconds": round(seconds, 1),
        # Rendering, both stages, evaluation and grids: the whole demo but its setup.
        "total_seconds": round(time.perf_counter() - demo_start, 1),
        "seen_classes_transfer": seen,
        "held_out_classes_transfer": unseen,
        "held_out_classes_transfer_refined": unseen_refined,
        "refinement": {**REFINEMENT, "seconds": round(refine_seconds, 1)},
        "class_from_content_codes": leakage,
        "model": os.path.join(output_dir, "run", "model.keras"),
        "held_out_grid": grid_path,
        "held_out_grid_refined": refined_grid_path,
        "held_out_ground_truth": truth_path,
    }
    # Its presence marks the demo finished, so it is never left half-written.
    write_json(summary_path, summary)
    rows = [
        ("training objects", seen),
        ("held-out objects", unseen),
        ("held-out, refined", unseen_refined),
    ]
    print(
        f"\nTrained both stages on {train.num_samples} images in {seconds:.0f}s "
        f"({keras.backend.backend()}).\n"
        "Transfer error against the exact rendering, MSE / LPIPS (lower is better):\n"
        f"  {'':18}{'LORD':>16}{'copy content':>16}{'copy class':>16}"
    )
    for name, report in rows:
        cells = "".join(
            f"{report[key]['mse']:8.4f} /{report[key]['lpips']:6.3f}"
            for key in ("model", "copy_content", "copy_class")
        )
        print(f"  {name:18}{cells}")
    print(
        f"Refined: held-out class codes refined on the class image ({REFINEMENT['steps']} "
        f"steps, {refine_seconds:.0f}s).\n"
        f"Class predicted from stage-1 content codes: {leakage['accuracy']:.2f} accuracy "
        f"(chance {leakage['chance']:.2f}).\n"
        f"Held-out translations (rows: object, columns: viewpoint source): {grid_path}\n"
        f"The same, refined: {refined_grid_path}\n"
        f"Their ground truth: {truth_path}\n"
        f"Training grids: {os.path.join(output_dir, 'run', 'grids')}\n"
        f"Model: {summary['model']}\nSummary: {summary_path}\n"
        f"The demo took {summary['total_seconds'] // 60:.0f} min "
        f"{summary['total_seconds'] % 60:.0f} s (setup excluded)."
    )
    return summary
