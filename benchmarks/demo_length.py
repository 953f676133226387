"""The demo's scores and wall time against its length, across training seeds.

    KERAS_BACKEND=tensorflow python benchmarks/demo_length.py --configs 100/30,60/20 \\
        --seeds 0,1 --out outputs/demo_length

Each configuration `STAGE1_EPOCHS/STAGE2_EPOCHS[/BATCH[/OBJECTS/VIEWS/HELD_OUT]]` (the demo's
defaults: batch 8, 12 objects from 12 views, 2 held out) runs `keras-lord demo` (the same
`run_demo`) once per seed into `--out/<configuration>_seed<seed>`; the
configurations alternate within a seed, so a machine that slows down over the hour slows all
of them. A finished run is read back, not redone, so an interrupted benchmark resumes.
Prints, per run and averaged per configuration, the transfer MSE / LPIPS on training and
held-out objects next to copying the content or the class image, the share of translations
nearest their own object (`class_identity_accuracy`), the class predicted from the content
codes, and the seconds of training and of the whole demo; then JSON with the
CPU flags. `ONEDNN_MAX_CPU_ISA=AVX2` times it with AVX2 kernels.
"""

# keras-lord before keras: it chooses TensorFlow's and XLA's CPU kernels, which they fix
# when they load (docs/performance.md, "A CPU that shows only AVX2").
import keras_lord

# isort: split
import argparse
import json
import os

import keras
import numpy as np
from compare_checkouts import cpu_flags
from time_to_quality import emit_report

from keras_lord.demo import SUMMARY_FILE, run_demo, synthetic_split
from keras_lord.evaluation import class_identity_accuracy

# A split's name in the rows -> its name in the demo's summary (`<name>_transfer`).
SPLIT_CLASSES = {"train": "seen_classes", "held_out": "held_out_classes"}


def parse_configuration(text, defaults):
    """`"E/S[/BATCH[/OBJECTS/VIEWS/HELD_OUT]]"` -> a dict of `run_demo` arguments."""
    names = ("epochs", "encoder_epochs", "batch_size", "num_classes", "num_views")
    names += ("held_out_classes",)
    numbers = [int(part) for part in text.split("/")]
    if len(numbers) not in (2, 3, 6) or min(numbers) < 1:
        raise SystemExit(
            "A configuration is STAGE1/STAGE2[/BATCH[/OBJECTS/VIEWS/HELD_OUT]], all "
            f"positive; got {text!r}."
        )
    return {**defaults, **dict(zip(names, numbers))}


def identity_of_saved_model(model_path, configuration):
    """`class_identity_accuracy` of a demo that predates it, from its saved model."""
    model = keras_lord.load(model_path)
    _, train, test = synthetic_split(
        configuration["num_classes"],
        configuration["num_views"],
        configuration["held_out_classes"],
        verbose=0,
    )
    return {
        SPLIT_CLASSES[split]: class_identity_accuracy(model.translate, data, num_pairs=256)
        for split, data in (("train", train), ("held_out", test))
    }


def demo_scores(configuration, seed, arguments):
    """The summary of one demo run, reading a finished one back."""
    name = "-".join(str(value) for value in configuration.values()) + f"_seed{seed}"
    output_dir = os.path.join(arguments.out, name)
    summary_path = os.path.join(output_dir, SUMMARY_FILE)
    if not os.path.exists(summary_path):
        run_demo(output_dir, seed=seed, verbose=arguments.verbose, **configuration)
    with open(summary_path) as file:
        summary = json.load(file)
    if "class_identity" not in summary:
        model_path = os.path.join(output_dir, "run", "model.keras")
        summary["class_identity"] = identity_of_saved_model(model_path, configuration)
    row = {"configuration": "/".join(map(str, configuration.values())), "seed": seed}
    for split, classes in SPLIT_CLASSES.items():
        transfer = summary[f"{classes}_transfer"]
        for baseline in ("model", "copy_content", "copy_class"):
            for metric in ("mse", "lpips"):
                row[f"{split}.{baseline}.{metric}"] = transfer[baseline][metric]
        row[f"{split}.identity"] = summary["class_identity"][classes]["accuracy"]
    row["class_from_content_codes"] = summary["class_from_content_codes"]["accuracy"]
    row["train_seconds"] = summary["train_seconds"]
    row["total_seconds"] = summary["total_seconds"]
    return row


def print_row(row):
    cells = [f"{row['configuration']:>16} {str(row['seed']):>5}"]
    for split in SPLIT_CLASSES:
        cells.append(
            " ".join(
                f"{row[f'{split}.{baseline}.mse']:.4f}/{row[f'{split}.{baseline}.lpips']:.3f}"
                for baseline in ("model", "copy_content", "copy_class")
            )
            + f" {row[f'{split}.identity']:.2f}"
        )
    cells.append(
        f"{row['class_from_content_codes']:5.2f} {row['train_seconds']:6.0f} "
        f"{row['total_seconds']:6.0f}"
    )
    print(" | ".join(cells), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="100/30,60/20", help="STAGE1/STAGE2[/BATCH],...")
    parser.add_argument("--batch-size", type=int, default=8, help="when a config gives none")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--out", default="outputs/demo_length")
    parser.add_argument("--verbose", type=int, default=0)
    parser.add_argument("--json", help="also write the report here")
    arguments = parser.parse_args()
    defaults = {
        "epochs": None,
        "encoder_epochs": None,
        "batch_size": arguments.batch_size,
        "num_classes": 12,
        "num_views": 12,
        "held_out_classes": 2,
    }
    configurations = [parse_configuration(text, defaults) for text in arguments.configs.split(",")]
    seeds = [int(seed) for seed in arguments.seeds.split(",")]
    flags = cpu_flags()
    isa_limit = os.environ.get("ONEDNN_MAX_CPU_ISA")
    print(f"CPU flags: {' '.join(flags)}; ONEDNN_MAX_CPU_ISA={isa_limit}")
    print(
        "config seed | training objects: LORD, copy content, copy class (MSE/LPIPS), "
        "nearest own object | held-out objects: the same | class from content, train s, "
        "total s"
    )
    rows = []
    for seed in seeds:
        for configuration in configurations:
            rows.append(demo_scores(configuration, seed, arguments))
            print_row(rows[-1])
    means = []
    for configuration in configurations:
        name = "/".join(map(str, configuration.values()))
        runs = [row for row in rows if row["configuration"] == name]
        mean = {
            key: round(float(np.mean([run[key] for run in runs])), 4)
            for key in runs[0]
            if key not in ("configuration", "seed")
        }
        means.append({"configuration": name, "seed": "mean", **mean})
        print_row(means[-1])
    emit_report(
        {
            "cpu_flags": flags,
            "cpus": os.cpu_count(),
            "onednn_max_cpu_isa": isa_limit,
            "backend": keras.backend.backend(),
            "arguments": vars(arguments),
            "runs": rows,
            "means": means,
        },
        arguments.json,
    )


if __name__ == "__main__":
    main()
