"""Time to content: how long LORD trains until its translations carry the content image's pose.

    KERAS_BACKEND=tensorflow python benchmarks/time_to_content.py --out /tmp/ttc \\
        --dataset 20x12 --dataset 60x24 --size 32 --rate auto --rate 3e-3 --rate 3e-2

Copying the content image is the baseline a translation must beat to have learned any
content: it has the right pose and the wrong object. For every dataset (`CLASSESxVIEWS`
rendered objects, `--held-out` more objects kept out) and every stage-1 table rate
(`--rate`, a number or `auto`) and start of the content codes (`--content-init`), both
stages train (`train_run`, the `small` preset) while transfer is scored every `--every`
epochs, on the training objects through the stage-1 tables and on the held-out objects
through the stage-2 encoders (benchmarks/time_to_quality.py makes the runs). The report
gives, per run, the first evaluation where the transfer LPIPS beats copying the content
image, as epochs, steps and training seconds (`null`: not within the run), beside the final
errors and both copy baselines. Prints the CPU flags and JSON; `--json` writes it too.
"""

# keras-lord before keras: it chooses TensorFlow's and XLA's CPU kernels.
import keras_lord  # noqa: F401

# isort: split
import argparse
import itertools
import math
import os

import keras
from compare_checkouts import cpu_flags
from time_to_quality import benchmark_data, emit_report, run_variant

from keras_lord.cli.argument_types import rate_or_auto
from keras_lord.tables.content_initialization import AUTO, CONTENT_INITIALIZATION_CHOICES


def dataset(text):
    """`CLASSESxVIEWS`: training objects and azimuths (with `--elevations` elevations each)."""
    try:
        classes, views = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected CLASSESxVIEWS, e.g. 20x12; got {text!r}"
        ) from None
    if classes < 2 or views < 2:
        raise argparse.ArgumentTypeError(f"need at least 2 classes and 2 views; got {text!r}")
    return classes, views


def first_win(curve, split, stage, baseline, steps_per_epoch):
    """The first evaluation of `split` in `stage` whose LPIPS is below `baseline`."""
    for row in curve:
        if row["split"] == split and row["stage"] == stage and row["lpips"] < baseline:
            return {
                "epoch": row["epoch"],
                "steps": row["epoch"] * steps_per_epoch,
                "train_seconds": row["train_seconds"],
                "lpips": row["lpips"],
            }
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/keras-lord-time-to-content")
    parser.add_argument("--dataset", type=dataset, action="append", help="CLASSESxVIEWS")
    parser.add_argument("--rate", type=rate_or_auto, action="append", help="table rate or auto")
    parser.add_argument("--size", type=int, action="append", help="image size (32, 64)")
    parser.add_argument(
        "--content-init",
        choices=CONTENT_INITIALIZATION_CHOICES,
        action="append",
        help="where the content codes start (default auto)",
    )
    parser.add_argument("--held-out", type=int, default=10)
    parser.add_argument("--elevations", type=int, default=2)
    parser.add_argument("--shape-variation", type=float, default=0.3)
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--encoder-epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--every", type=int, default=5, help="epochs between evaluations")
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--json", help="also write the report here")
    arguments = parser.parse_args()
    report = {
        "cpu_flags": cpu_flags(),
        "cpus": os.cpu_count(),
        "backend": keras.backend.backend(),
        "settings": {
            key: getattr(arguments, key)
            for key in ("epochs", "encoder_epochs", "batch_size", "seed", "shape_variation")
        },
        "runs": [],
    }
    grid = itertools.product(
        arguments.dataset or [(30, 24)],
        arguments.size or [32],
        arguments.rate or ["auto"],
        arguments.content_init or [AUTO],
    )
    for (classes, views), size, table_rate, start in grid:
        data_arguments = argparse.Namespace(
            objects=classes + arguments.held_out,
            held_out=arguments.held_out,
            azimuths=views,
            elevations=arguments.elevations,
            size=size,
            shape_variation=arguments.shape_variation,
            data_seed=arguments.data_seed,
        )
        train, test = benchmark_data(data_arguments)
        name = f"{classes}x{views}_{size}px_rate{table_rate}_{start}"
        print(f"== {name}: {train.num_samples} training images", flush=True)
        run_arguments = argparse.Namespace(
            **{**vars(arguments), **vars(data_arguments), "latent_lr": table_rate}
        )
        overrides = {"seed": arguments.seed, "content_initialization": start}
        result = run_variant(name, overrides, train, test, run_arguments)
        steps_per_epoch = math.ceil(train.num_samples / arguments.batch_size)
        seen, unseen = result["training_objects"], result["held_out_objects"]
        run = {
            "name": name,
            "classes": classes,
            "views": views * arguments.elevations,
            "size": size,
            "rate": table_rate,
            "content_initialization": start,
            "train_images": train.num_samples,
            "wall_seconds": result["wall_seconds"],
            "training_objects_beat_copy_content": first_win(
                result["curve"],
                "training objects",
                1,
                seen["copy_content"]["lpips"],
                steps_per_epoch,
            ),
            "held_out_beat_copy_content": first_win(
                result["curve"],
                "held-out objects",
                2,
                unseen["copy_content"]["lpips"],
                steps_per_epoch,
            ),
            "final": {
                "training_objects_stage1": next(
                    row["lpips"]
                    for row in reversed(result["curve"])
                    if row["split"] == "training objects" and row["stage"] == 1
                ),
                "held_out": unseen["model"]["lpips"],
                "training_copy_content": seen["copy_content"]["lpips"],
                "held_out_copy_content": unseen["copy_content"]["lpips"],
                "held_out_copy_class": unseen["copy_class"]["lpips"],
            },
            "leakage": result["leakage"],
            "content_from_content_codes": result["content_from_content_codes"],
        }
        report["runs"].append(run)
        print(
            f"   {run['wall_seconds']}s; training objects beat copying the content at "
            f"{run['training_objects_beat_copy_content']}, held-out at "
            f"{run['held_out_beat_copy_content']}",
            flush=True,
        )
    emit_report(report, arguments.json)


if __name__ == "__main__":
    main()
