"""Stage-2 techniques for unseen classes, side by side from one stage-1 result.

    KERAS_BACKEND=tensorflow python benchmarks/held_out_techniques.py \\
        --stage1 /tmp/ttq/default/stage1.keras --objects 40 --held-out 8 --azimuths 24 \\
        --elevations 1 --encoder-epochs 8 --variant plain --variant "mix1:mixed_code_weight=1"

Every variant starts from the same stage-1 trainer (`stage1.keras` of a `train_run` or
`benchmarks/time_to_quality.py` run on the same rendered objects: pass the same data
arguments), trains stage 2 with its `LordTrainer.compile` options for `--encoder-epochs`,
and is scored on the training and the held-out objects by content transfer (MSE, LPIPS
against the exact rendering, 200 fixed pairs) with each inference method: the encoders
alone, and test-time refinement of the class codes (`translate(method="refine")`) for each
`--refine STEPS:RATE` (`--refine 0`: none); and how far the encoders' codes of the training
images lie from the stage-1 tables (RMS error relative to the tables' RMS), and leakage
of the held-out objects' codes both ways (logistic probes). Prints the CPU flags, a table
next to the copy baselines, and JSON.

A variant is `NAME[:key=value,...]` with keys of `LordTrainer.compile` for stage 2
(`mixed_code_weight`, `class_code_weight`, `content_code_weight`, `learning_rate`, ...).
"""

# keras-lord before keras: it chooses TensorFlow's and XLA's CPU kernels, which they fix
# when they load (docs/performance.md, "A CPU that shows only AVX2").
import keras_lord  # noqa: F401

# isort: split
import argparse
import os
import time

import keras
import numpy as np
from compare_checkouts import cpu_flags
from time_to_quality import add_data_arguments, benchmark_data, emit_report, parse_variant

from keras_lord.evaluation import content_transfer_error, probe_accuracy
from keras_lord.saving import load_trainer


def parse_refinement(text):
    steps, _, rate = text.partition(":")
    return int(steps), float(rate or 1e-2)


def score(trainer, data, arguments, method, steps=None, rate=None):
    if method == "encoders":
        translate = trainer.translate
    else:

        def translate(class_images, content_images):
            return trainer.translate(
                class_images, content_images, method="refine", steps=steps, learning_rate=rate
            )

    start = time.perf_counter()
    report = content_transfer_error(translate, data, num_pairs=arguments.pairs)
    report["seconds"] = round(time.perf_counter() - start, 1)
    return report


def code_fit(trainer, train):
    """How far the encoders' codes of the training images lie from the stage-1 tables'.

    The RMS error relative to the tables' own RMS: 0 is a perfect fit, 1 is as far as
    predicting zeros.
    """
    fit = {}
    for factor, encode, ids in (
        ("class", trainer.encode_class, train.class_ids),
        ("content", trainer.encode_content, np.arange(train.num_samples)),
    ):
        table = trainer.tables.rows(factor, ids)
        error = np.sqrt(np.mean((encode(train.images) - table) ** 2))
        fit[f"{factor}_code_relative_error"] = round(float(error / np.sqrt(np.mean(table**2))), 3)
    return fit


def run_variant(overrides, train, test, arguments):
    trainer = load_trainer(arguments.stage1)
    trainer.start_stage2(**overrides)
    start = time.perf_counter()
    trainer.fit(
        train.inputs(), batch_size=arguments.batch_size, epochs=arguments.encoder_epochs, verbose=0
    )
    result = {
        "overrides": overrides,
        "stage2_seconds": round(time.perf_counter() - start, 1),
        **code_fit(trainer, train),
    }
    methods = [("encoders", None, None)] + [
        (f"refine {steps} steps at {rate:g}", steps, rate)
        for steps, rate in map(parse_refinement, arguments.refine)
        if steps
    ]
    # Leakage of the held-out objects' codes: a class code that gives the viewpoint away
    # carries pose through the class path.
    class_codes, content_codes = (
        trainer.encode_class(test.images),
        trainer.encode_content(test.images),
    )
    result["held_out_leakage"] = {
        "content_from_class_codes": probe_accuracy(class_codes, test.content_ids),
        "class_from_content_codes": probe_accuracy(content_codes, test.class_ids),
    }
    for split, data in (("training objects", train), ("held-out objects", test)):
        result[split] = {
            name: score(
                trainer, data, arguments, "encoders" if steps is None else "refine", steps, rate
            )
            for name, steps, rate in methods
        }
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage1", required=True, help="stage1.keras of a run on these data")
    parser.add_argument("--variant", action="append", default=None, help="NAME[:key=value,...]")
    parser.add_argument("--refine", action="append", default=None, help="STEPS:RATE; 0 for none")
    add_data_arguments(parser)
    parser.add_argument("--encoder-epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--json", help="also write the report here")
    arguments = parser.parse_args()
    arguments.refine = arguments.refine or ["20:0.01"]
    train, test = benchmark_data(arguments)
    report = {
        "cpu_flags": cpu_flags(),
        "cpus": os.cpu_count(),
        "backend": keras.backend.backend(),
        "stage1": arguments.stage1,
        "encoder_epochs": arguments.encoder_epochs,
        "variants": {},
    }
    for name, overrides in map(parse_variant, arguments.variant or ["plain"]):
        print(f"== {name} {overrides}", flush=True)
        result = run_variant(overrides, train, test, arguments)
        report["variants"][name] = result
        leakage = result["held_out_leakage"]
        print(
            f"   stage 2: {result['stage2_seconds']} s; encoders' error relative to the "
            f"tables: class codes {result['class_code_relative_error']}, content codes "
            f"{result['content_code_relative_error']}; held-out leakage: view from class "
            f"codes {leakage['content_from_class_codes']['accuracy']:.2f} (chance "
            f"{leakage['content_from_class_codes']['chance']:.2f}), class from content "
            f"codes {leakage['class_from_content_codes']['accuracy']:.2f}",
            flush=True,
        )
        for split in ("training objects", "held-out objects"):
            scores = result[split]
            first = next(iter(scores.values()))
            print(
                f"   {split}: copy class {first['copy_class']['mse']:.4f} / "
                f"{first['copy_class']['lpips']:.3f}, copy content "
                f"{first['copy_content']['mse']:.4f} / {first['copy_content']['lpips']:.3f}",
                flush=True,
            )
            for method, values in scores.items():
                print(
                    f"     {method:28} {values['model']['mse']:.4f} / "
                    f"{values['model']['lpips']:.3f}  ({values['seconds']} s)",
                    flush=True,
                )
    emit_report(report, arguments.json)


if __name__ == "__main__":
    main()
