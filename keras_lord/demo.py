"""The README's main job: LORD on rendered objects, end to end, in minutes on a CPU."""

import os
import time

import keras
import numpy as np

from keras_lord import backend
from keras_lord.data import SyntheticObjects
from keras_lord.distribution.processes import is_first_process, together
from keras_lord.evaluation import class_identity_accuracy, content_transfer_error, probe_accuracy
from keras_lord.run_checks import check_run_arguments
from keras_lord.tables.content_initialization import check_content_initialization
from keras_lord.training_run import train_run
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
    num_classes: int = 28,
    num_views: int = 12,
    held_out_classes: int = 4,
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
    num_classes: int = 28,
    num_views: int = 12,
    epochs: int = 20,
    encoder_epochs: int = 8,
    batch_size: int = 8,
    latent_learning_rate: float | str = "auto",
    content_initialization: str = "auto",
    held_out_classes: int = 4,
    shape_variation: float = SHAPE_VARIATION,
    refine: bool = False,
    seed: int = 0,
    force: bool = False,
    verbose: int = 1,
) -> dict:
    """Trains both LORD stages (`small` preset) on rendered objects and tests them.

    Objects are rendered from several viewpoints; some objects are held out. Both stages are
    trained on the others (`keras_lord.training_run.train_run`: resumable, with grids),
    then the encoders translate held-out objects, never seen in training, and every
    translation is scored against the exact rendering of that object from that viewpoint.

    The defaults (28 objects, 24 trained; 20 + 8 epochs) come from `benchmarks/demo_length.py`
    (`docs/quality.md`): with 10 training objects the held-out translations were one
    average object in the content's pose, nearer the content image's object than their own;
    with 24, the held-out object's colours carry over, in a fraction of the time of
    100 + 30 epochs on 10.

    Args:
        output_dir: folder of everything written.
        num_classes: objects rendered.
        num_views: viewpoints (azimuths) per object.
        epochs: stage-1 epochs.
        encoder_epochs: stage-2 epochs.
        batch_size: batch size (small batches give the generator more steps per epoch).
        latent_learning_rate: stage-1 rate of the tables; `"auto"` gives 20 epochs
            `3e-2`, 10x the reference rate, which was tuned on runs of 200 epochs: here
            each content code gets too few updates to outgrow the noise at `3e-3`.
        content_initialization: where stage 1 starts the content codes (`"auto"`: the
            principal components of each image minus its object's mean image; `"random"`:
            LORD's start; see `LordTrainer.compile`).
        held_out_classes: objects kept out of training.
        shape_variation: how far the objects' shapes differ, in `[0, 1]`
            (`SyntheticObjects`).
        refine: also translate the held-out objects with their class codes refined on
            the class images (`translate(method="refine")`), scored and drawn beside the
            encoders' translations. Off by default: in the measured demos it made held-out
            transfer worse and cost 5 % of the demo's time (`docs/quality.md`).
        seed: seed of the training (initial weights, noise, batch order); the objects
            rendered stay the same.
        force: start over even if `output_dir` holds a finished run: the demo's files and
            the run's own files are removed, nothing else.
        verbose: Keras verbosity.

    Returns:
        The summary dict, also written to `summary.json` and printed: the transfer errors
        next to the copy baselines on training and held-out objects, `class_identity`
        (`class_identity_accuracy` on both), `train_seconds` (both stages) and
        `total_seconds` (the whole demo, setup excluded).

    Raises:
        FileExistsError: if `output_dir` holds a finished run and `force` is false.
        ValueError: for an argument out of range, before anything is written or removed.

    Example:
    ```python
    from keras_lord.demo import run_demo

    summary = run_demo("outputs/demo")
    summary["held_out_classes_transfer"]["model"]["lpips"]
    ```

    """
    check_run_arguments(epochs, encoder_epochs, batch_size, latent_learning_rate)
    check_content_initialization(content_initialization)
    for name, value in (("num_classes", num_classes), ("num_views", num_views)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
            raise ValueError(f"`{name}` must be an integer of at least 2; got {value!r}.")
    # Content transfer pairs images of two different objects, in either split.
    if not 2 <= held_out_classes <= num_classes - 2:
        raise ValueError(
            f"`held_out_classes` must lie in [2, `num_classes` - 2], so that both the training "
            f"and the held-out objects number at least two; got {held_out_classes!r} of "
            f"{num_classes}."
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"`seed` must be an integer; got {seed!r}.")
    if not 0.0 <= shape_variation <= 1.0:
        raise ValueError(f"`shape_variation` must lie in [0, 1]; got {shape_variation!r}.")
    summary_path = os.path.join(output_dir, SUMMARY_FILE)
    together(lambda: _check_unfinished(output_dir, force), f"reading {output_dir}")
    # Several processes running one demo (JAX) share its folder; the first writes it.
    backend.wait_for_processes(f"keras-lord demo read {output_dir}")
    if is_first_process():
        if force:
            # The demo's own files only; the run folder's are `train_run(force=True)`'s.
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

    start = time.perf_counter()
    trainer = train_run(
        train,
        os.path.join(output_dir, "run"),
        preset="small",
        epochs=epochs,
        encoder_epochs=encoder_epochs,
        batch_size=batch_size,
        latent_learning_rate=latent_learning_rate,
        content_initialization=content_initialization,
        force=force,
        seed=seed,
        verbose=verbose,
        checkpoint_interval_seconds=CHECKPOINT_INTERVAL_SECONDS,
        # A demo cut off while it evaluated goes on from its trained models.
        reuse_finished=True,
    )
    seconds = time.perf_counter() - start
    # Every process scores the whole demo on its own, with the split content table whole.
    with backend.held_on_this_process(trainer.variables):
        summary, results = _evaluate(trainer, objects, train, test, output_dir, refine)
    summary = {
        "backend": keras.backend.backend(),
        "train_images": train.num_samples,
        "held_out_classes": np.unique(test.class_ids).tolist(),
        "shape_variation": shape_variation,
        "epochs": epochs,
        "encoder_epochs": encoder_epochs,
        "batch_size": batch_size,
        "latent_learning_rate": latent_learning_rate,
        "content_initialization": content_initialization,
        "seed": seed,
        "train_seconds": round(seconds, 1),
        # Rendering, both stages, evaluation and grids: the whole demo but its setup.
        "total_seconds": round(time.perf_counter() - demo_start, 1),
        **summary,
        "model": os.path.join(output_dir, "run", "model.keras"),
    }
    # Its presence marks the demo finished, so it is never left half-written.
    if is_first_process():
        write_json(summary_path, summary)
    if verbose:
        print_summary(summary, results, seconds, output_dir)
    return summary


def _check_unfinished(output_dir, force):
    summary_path = os.path.join(output_dir, SUMMARY_FILE)
    if os.path.exists(summary_path) and not force:
        raise FileExistsError(
            f"{output_dir} holds a finished demo ({summary_path}); pass --force to redo it "
            "or choose another --out."
        )


def _evaluate(trainer, objects, train, test, output_dir, refine) -> tuple:
    """The demo's scores and grids: `(summary entries, [(split name, errors), ...])`."""
    held_out = np.unique(test.class_ids)
    seen = content_transfer_error(trainer.translate, train, num_pairs=256)
    unseen = content_transfer_error(trainer.translate, test, num_pairs=256)
    identity = {
        "seen_classes": class_identity_accuracy(trainer.translate, train, num_pairs=256),
        "held_out_classes": class_identity_accuracy(trainer.translate, test, num_pairs=256),
    }
    leakage = probe_accuracy(trainer.tables.table("content"), train.class_ids)

    # One row per held-out object, columns: the same object from other viewpoints.
    rows = np.array([np.flatnonzero(test.class_ids == c)[0] for c in held_out])
    other = test.class_ids != test.class_ids[rows[0]]
    columns = np.concatenate(
        [np.flatnonzero(other)[:: max(1, other.sum() // 8)][:8], np.flatnonzero(~other)[1::3][:4]]
    )
    pairs = (
        np.repeat(test.images[rows], len(columns), axis=0),
        np.tile(test.images[columns], (len(rows), 1, 1, 1)),
    )
    grid_shape = (len(rows), len(columns)) + test.image_shape

    def save_grid(name, translations):
        path = os.path.join(output_dir, name)
        grid = translation_grid(test.images[rows], test.images[columns], translations)
        if is_first_process():
            save_png(path, grid, 3)
        return path

    grid_path = save_grid(GRID_FILE, trainer.translate(*pairs).reshape(grid_shape))
    truth = objects.render(
        np.repeat(test.class_ids[rows], len(columns)), np.tile(test.content_ids[columns], len(rows))
    )
    truth_path = save_grid(TRUTH_FILE, truth.reshape(grid_shape))
    results = [("training objects", seen), ("held-out objects", unseen)]
    refined = {}
    if refine:
        refine_start = time.perf_counter()
        refined["held_out_classes_transfer_refined"] = content_transfer_error(
            refined_translation(trainer), test, num_pairs=256
        )
        refined["refinement"] = {
            **REFINEMENT,
            "seconds": round(time.perf_counter() - refine_start, 1),
        }
        refined["held_out_grid_refined"] = save_grid(
            REFINED_GRID_FILE, refined_translation(trainer)(*pairs).reshape(grid_shape)
        )
        results.append(("held-out, refined", refined["held_out_classes_transfer_refined"]))

    summary = {
        "seen_classes_transfer": seen,
        "held_out_classes_transfer": unseen,
        "class_identity": identity,
        "class_from_content_codes": leakage,
        "held_out_grid": grid_path,
        "held_out_ground_truth": truth_path,
        **refined,
    }
    return summary, results


def print_summary(summary, results, train_seconds, output_dir):
    """Prints the demo's table of transfer errors and where its files are."""
    print(
        f"\nTrained both stages on {summary['train_images']} images in {train_seconds:.0f}s "
        f"({summary['backend']}).\n"
        "Transfer error against the exact rendering, MSE / LPIPS (lower is better):\n"
        f"  {'':18}{'LORD':>16}{'copy content':>16}{'copy class':>16}"
    )
    for name, report in results:
        cells = "".join(
            f"{report[key]['mse']:8.4f} /{report[key]['lpips']:6.3f}"
            for key in ("model", "copy_content", "copy_class")
        )
        print(f"  {name:18}{cells}")
    leakage = summary["class_from_content_codes"]
    identity = summary["class_identity"]
    lines = [
        "Translations nearest (MSE) their own object's rendering from that viewpoint, among "
        f"all objects': training {identity['seen_classes']['accuracy']:.2f}, held-out "
        f"{identity['held_out_classes']['accuracy']:.2f} (chance "
        f"{identity['seen_classes']['chance']:.2f} and "
        f"{identity['held_out_classes']['chance']:.2f}).",
        f"Class predicted from stage-1 content codes: {leakage['accuracy']:.2f} accuracy "
        f"(chance {leakage['chance']:.2f}).",
        "Held-out translations (rows: object, columns: viewpoint source): "
        f"{summary['held_out_grid']}",
    ]
    if "refinement" in summary:
        lines.insert(
            0,
            f"Refined: held-out class codes refined on the class image "
            f"({summary['refinement']['steps']} steps, {summary['refinement']['seconds']:.0f}s).",
        )
        lines.append(f"The same, refined: {summary['held_out_grid_refined']}")
    total = summary["total_seconds"]
    lines += [
        f"Their ground truth: {summary['held_out_ground_truth']}",
        f"Training grids: {os.path.join(output_dir, 'run', 'grids')}",
        f"Model: {summary['model']}",
        f"Summary: {os.path.join(output_dir, SUMMARY_FILE)}",
        f"The demo took {total // 60:.0f} min {total % 60:.0f} s (setup excluded).",
    ]
    print("\n".join(lines))
