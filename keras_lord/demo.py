"""The README's main job: LORD on rendered objects, end to end, in minutes on a CPU."""

import json
import os
import shutil
import time

import keras
import numpy as np

from keras_lord.data import SyntheticObjects
from keras_lord.training_run import train_run
from keras_lord.utils.image_grid import save_png, translation_grid


def transfer_pairs(data, num_pairs: int = 256, seed: int = 0) -> tuple:
    """Draws pairs `(i, j)` of images of different classes.

    Args:
        data: a `LordData`.
        num_pairs: pairs drawn before dropping same-class ones.
        seed: seed of the draw.

    Returns:
        `(first, second)` index arrays: the class comes from `first`, the content from `second`.

    """
    rng = np.random.default_rng(seed)
    first = rng.integers(0, data.num_samples, num_pairs)
    second = rng.integers(0, data.num_samples, num_pairs)
    keep = data.class_ids[first] != data.class_ids[second]
    return first[keep], second[keep]


def transfer_report(generated, objects: SyntheticObjects, data, first, second) -> dict:
    """Mean squared errors of translations against the exact rendered answer.

    Args:
        generated: translations, class of `data[first]` with content of `data[second]`.
        objects: the renderer of `data`.
        data: the images.
        first: indices of the class sources.
        second: indices of the content sources.

    Returns:
        `{"lord_mse", "copy_content_mse", "copy_class_mse"}`: the model, and two baselines
        that copy the content source (right view, wrong object) or the class source (right
        object, wrong view).

    """
    truth = objects.render(data.class_ids[first], data.content_ids[second]) / 255.0
    images = data.float_images()
    return {
        "lord_mse": float(np.mean((generated - truth) ** 2)),
        "copy_content_mse": float(np.mean((images[second] - truth) ** 2)),
        "copy_class_mse": float(np.mean((images[first] - truth) ** 2)),
    }


def class_leakage(trainer, data) -> float:
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
    epochs: int = 60,
    encoder_epochs: int = 30,
    batch_size: int = 8,
    held_out_classes: int = 2,
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
        held_out_classes: objects kept out of training.
        force: start over even if `output_dir` holds a finished run.
        verbose: Keras verbosity.

    Returns:
        The summary dict, also written to `summary.json`.

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
    held_out = np.arange(num_classes - held_out_classes, num_classes)
    train, test = data.split_classes(held_out)

    start = time.perf_counter()
    trainer = train_run(
        train,
        os.path.join(output_dir, "run"),
        preset="small",
        epochs=epochs,
        encoder_epochs=encoder_epochs,
        batch_size=batch_size,
        verbose=verbose,
    )
    seconds = time.perf_counter() - start

    first, second = transfer_pairs(train)
    seen = transfer_report(
        trainer.translate(train.images[first], train.images[second]),
        objects,
        train,
        first,
        second,
    )
    first, second = transfer_pairs(test)
    unseen = transfer_report(
        trainer.translate(test.images[first], test.images[second]), objects, test, first, second
    )

    # One row per held-out object, columns: the same object from other viewpoints.
    rows = np.array([np.flatnonzero(test.class_ids == c)[0] for c in held_out])
    other = test.class_ids != test.class_ids[rows[0]]
    columns = np.flatnonzero(other)[:: max(1, other.sum() // 8)][:8]
    if len(held_out) > 1:
        columns = np.concatenate([columns, np.flatnonzero(~other)[1::3][:4]])
    table = trainer.translate(
        np.repeat(test.images[rows], len(columns), axis=0),
        np.tile(test.images[columns], (len(rows), 1, 1, 1)),
    ).reshape((len(rows), len(columns)) + test.image_shape)
    truth = objects.render(
        np.repeat(test.class_ids[rows], len(columns)), np.tile(test.content_ids[columns], len(rows))
    ).reshape(table.shape)
    grid_path = os.path.join(output_dir, "held_out_translations.png")
    truth_path = os.path.join(output_dir, "held_out_ground_truth.png")
    save_png(grid_path, translation_grid(test.images[rows], test.images[columns], table), 3)
    save_png(truth_path, translation_grid(test.images[rows], test.images[columns], truth), 3)

    summary = {
        "backend": keras.backend.backend(),
        "train_images": train.num_samples,
        "held_out_classes": held_out.tolist(),
        "epochs": epochs,
        "encoder_epochs": encoder_epochs,
        "train_seconds": round(seconds, 1),
        "seen_classes_transfer": seen,
        "held_out_classes_transfer": unseen,
        "class_from_content_accuracy": class_leakage(trainer, train),
        "chance_accuracy": 1.0 / (num_classes - held_out_classes),
        "model": os.path.join(output_dir, "run", "model.keras"),
        "held_out_grid": grid_path,
        "held_out_ground_truth": truth_path,
    }
    with open(summary_path, "w") as file:
        json.dump(summary, file, indent=2)
    print(
        f"\nTrained both stages on {train.num_samples} images in {seconds:.0f}s "
        f"({keras.backend.backend()}).\n"
        "Transfer error (MSE against the exact rendering; lower is better):\n"
        f"  {'':22}{'LORD':>8}{'copy content':>14}{'copy class':>12}\n"
        f"  {'training objects':22}{seen['lord_mse']:8.4f}{seen['copy_content_mse']:14.4f}"
        f"{seen['copy_class_mse']:12.4f}\n"
        f"  {'held-out objects':22}{unseen['lord_mse']:8.4f}"
        f"{unseen['copy_content_mse']:14.4f}{unseen['copy_class_mse']:12.4f}\n"
        f"Class predicted from content codes: {summary['class_from_content_accuracy']:.2f} "
        f"accuracy (chance {summary['chance_accuracy']:.2f}).\n"
        f"Held-out translations (rows: object, columns: viewpoint source): {grid_path}\n"
        f"Their ground truth: {truth_path}\n"
        f"Training grids: {os.path.join(output_dir, 'run', 'grids')}\n"
        f"Model: {summary['model']}\nSummary: {summary_path}"
    )
    return summary
