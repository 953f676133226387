"""Time to quality: content-transfer error against training time, for configurations side by side.

    KERAS_BACKEND=tensorflow python benchmarks/time_to_quality.py --out /tmp/ttq \\
        --variant default --variant "batch8:batch_size=8" --variant "lr3e-2:latent_lr=3e-2"

The benchmark data are rendered objects with exact ground truth for every translation:
`--objects` objects (default 60) from `--azimuths` x `--elevations` viewpoints (24 x 2),
the last `--held-out` objects (10) kept out of training. Each variant trains both stages
with `train_run` (the `small` preset unless overridden) while a `TransferEvaluation` scores
the training objects (stage 1, through the tables, and stage 2, through the encoders) and
the held-out objects (stage 2) every `--every` epochs. At the end: transfer MSE and LPIPS on
both next to the copy-the-content-image and copy-the-class-image baselines, leakage both
ways (class from content codes, content from class codes, next to chance), how well the
content codes predict the viewpoint (`content_from_content_codes`), and the wall time.
Prints the CPU flags and JSON; `--baseline OLD.json` adds, per variant of the same name,
the ratio of the final held-out LPIPS and of the time. `--shape-variation` below 1 gives
the objects a shared body plan (`SyntheticObjects`). The curves are also written as they
come, to `OUT/NAME_transfer_training_objects.csv` and `..._held_out_objects.csv`.

A variant is `NAME[:key=value,...]` with keys `epochs`, `encoder_epochs`, `batch_size`,
`latent_lr`, `preset`, `table_updates`, `perceptual_layers` (`+`-separated), `noise_std`,
`content_decay`, `content_dim`, `class_dim`, `seed`, `precision`, or any other
`LordTrainer` argument (numbers are parsed as numbers).
"""

# keras-lord before keras: it chooses TensorFlow's and XLA's CPU kernels, which they fix
# when they load (docs/performance.md, "A CPU that shows only AVX2").
import keras_lord  # noqa: F401

# isort: split
import argparse
import json
import os
import time

import keras
import numpy as np
from compare_checkouts import cpu_flags

from keras_lord.callbacks import TransferEvaluation
from keras_lord.data import SyntheticObjects
from keras_lord.evaluation import probe_accuracy
from keras_lord.trainers import LatentOptimization
from keras_lord.training_run import train_run

RUN_KEYS = {
    "epochs",
    "encoder_epochs",
    "batch_size",
    "latent_lr",
    "preset",
    "table_updates",
    "perceptual_layers",
    "seed",
}


def parse_variant(text):
    name, _, settings = text.partition(":")
    overrides = {}
    for item in filter(None, settings.split(",")):
        key, _, value = item.partition("=")
        if key == "perceptual_layers":
            overrides[key] = tuple(value.split("+"))
            continue
        try:
            overrides[key] = int(value)
        except ValueError:
            try:
                overrides[key] = float(value)
            except ValueError:
                overrides[key] = value
    return name, overrides


def add_data_arguments(parser):
    """The options of the rendered objects `benchmark_data` makes."""
    parser.add_argument("--objects", type=int, default=60)
    parser.add_argument("--held-out", type=int, default=10)
    parser.add_argument("--azimuths", type=int, default=24)
    parser.add_argument("--elevations", type=int, default=2)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument(
        "--shape-variation",
        type=float,
        default=1.0,
        help="0: every object one body plan; 1: independent layouts (SyntheticObjects)",
    )


def emit_report(report, path=None):
    """Prints the report as JSON and, given a path, writes it there too."""
    text = json.dumps(report, indent=2)
    print(text)
    if path:
        with open(path, "w") as file:
            file.write(text)


def benchmark_data(arguments):
    objects = SyntheticObjects(
        num_classes=arguments.objects,
        num_azimuths=arguments.azimuths,
        num_elevations=arguments.elevations,
        image_size=arguments.size,
        shape_variation=arguments.shape_variation,
        seed=arguments.data_seed,
    )
    data = objects.data(verbose=False)
    held_out = np.arange(arguments.objects - arguments.held_out, arguments.objects)
    return data.split_classes(held_out)


def curve_paths(out, name):
    """Where a variant's curves are written as they come, to follow a long run."""
    return {
        split: os.path.join(out, f"{name}_transfer_{split}.csv")
        for split in ("training_objects", "held_out_objects")
    }


def run_variant(name, overrides, train, test, arguments):
    settings = {
        "epochs": arguments.epochs,
        "encoder_epochs": arguments.encoder_epochs,
        "batch_size": arguments.batch_size,
        "latent_lr": arguments.latent_lr,
        "preset": "small",
    }
    settings.update(overrides)
    run_settings = {key: settings.pop(key) for key in list(settings) if key in RUN_KEYS}
    every = arguments.every
    logs = curve_paths(arguments.out, name)
    os.makedirs(arguments.out, exist_ok=True)
    seen = TransferEvaluation(
        train, every, arguments.pairs, training_rows=True, log_path=logs["training_objects"]
    )
    unseen = TransferEvaluation(test, every, arguments.pairs, log_path=logs["held_out_objects"])
    start = time.perf_counter()
    trainer = train_run(
        train,
        os.path.join(arguments.out, name),
        preset=run_settings.pop("preset"),
        epochs=run_settings.pop("epochs"),
        encoder_epochs=run_settings.pop("encoder_epochs"),
        batch_size=run_settings.pop("batch_size"),
        latent_learning_rate=run_settings.pop("latent_lr"),
        force=True,
        verbose=0,
        callbacks=[seen, unseen],
        **run_settings,
        **settings,
    )
    seconds = time.perf_counter() - start
    # Stage 1's codes: the frozen tables, or for the ablations the encoders that replace them.
    class_codes, content_codes = (
        keras.ops.convert_to_numpy(codes)
        for codes in LatentOptimization().sample_codes(trainer, train.inputs())
    )
    curve = [{**row, "split": "training objects"} for row in seen.history] + [
        {**row, "split": "held-out objects"} for row in unseen.history
    ]
    return {
        "overrides": {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in overrides.items()
        },
        "wall_seconds": round(seconds, 1),
        "training_objects": {"model": seen.history[-1], **seen.baselines},
        "held_out_objects": {"model": unseen.history[-1], **unseen.baselines},
        "leakage": {
            "class_from_content_codes": probe_accuracy(content_codes, train.class_ids),
            "content_from_class_codes": probe_accuracy(class_codes, train.content_ids),
        },
        # Leakage near chance is also what codes that carry nothing score: this probe says
        # whether the content codes hold the content (the viewpoint) the same way for every
        # object, which is what transfer to another object needs.
        "content_from_content_codes": probe_accuracy(content_codes, train.content_ids),
        "curve": sorted(curve, key=lambda row: (row["train_seconds"], row["split"])),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/keras-lord-time-to-quality")
    parser.add_argument("--variant", action="append", default=None, help="NAME[:key=value,...]")
    add_data_arguments(parser)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--encoder-epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--latent-lr", type=float, default=3e-2)
    parser.add_argument("--every", type=int, default=10, help="epochs between evaluations")
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--json", help="also write the report here")
    parser.add_argument("--baseline", help="a JSON this script wrote before")
    arguments = parser.parse_args()
    variants = [parse_variant(text) for text in arguments.variant or ["default"]]
    for name, _ in variants:
        for path in curve_paths(arguments.out, name).values():
            if os.path.exists(path):
                # Appending would mix two runs' curves; the file is not ours to delete.
                parser.error(f"{path} holds an earlier run's curve: move it or use another --out")
    train, test = benchmark_data(arguments)
    report = {
        "cpu_flags": cpu_flags(),
        "cpus": os.cpu_count(),
        "backend": keras.backend.backend(),
        "data": {
            "objects": arguments.objects,
            "held_out": arguments.held_out,
            "views": arguments.azimuths * arguments.elevations,
            "size": arguments.size,
            "shape_variation": arguments.shape_variation,
            "train_images": train.num_samples,
            "held_out_images": test.num_samples,
        },
        "variants": {},
    }
    for name, overrides in variants:
        print(f"== {name} {overrides}", flush=True)
        report["variants"][name] = run_variant(name, overrides, train, test, arguments)
        final = report["variants"][name]
        print(
            f"   {final['wall_seconds']}s; LPIPS training objects "
            f"{final['training_objects']['model']['lpips']:.3f}, held-out "
            f"{final['held_out_objects']['model']['lpips']:.3f} (copy class "
            f"{final['held_out_objects']['copy_class']['lpips']:.3f}, copy content "
            f"{final['held_out_objects']['copy_content']['lpips']:.3f})",
            flush=True,
        )
    if arguments.baseline:
        with open(arguments.baseline) as file:
            baseline = json.load(file)["variants"]
        for name, result in report["variants"].items():
            if name in baseline:
                old = baseline[name]
                result["ratio_to_baseline"] = {
                    "held_out_lpips": result["held_out_objects"]["model"]["lpips"]
                    / old["held_out_objects"]["model"]["lpips"],
                    "wall_seconds": result["wall_seconds"] / old["wall_seconds"],
                }
    emit_report(report, arguments.json)


if __name__ == "__main__":
    main()
