"""The paper's Table 3: LORD against its ablations, side by side on the same rendered objects.

    KERAS_BACKEND=tensorflow python benchmarks/ablations.py --out /tmp/ablations \\
        --objects 40 --held-out 8 --azimuths 24 --elevations 1 --shape-variation 0.3 \\
        --epochs 24 --encoder-epochs 8 --every 8

Each variant is a `LordTrainer` configuration trained by `time_to_quality.run_variant`
(both stages with `train_run`, transfer scored on the training and held-out objects,
leakage probes on the stage-1 codes):

- `lord`: latent optimisation of both tables, fixed-std noise on the content codes;
- `semi_amortized`: the class table, content codes from the content encoder;
- `amortized`: both codes from the encoders (no stage 2: its encoders already exist);
- `kl`: a learned variance per content code with a KL penalty instead of fixed noise;
- `no_regularization`: neither noise nor penalty on the content codes;
- `no_second_stage`: `lord`'s stage-1 trainer, held-out images decomposed by test-time
  optimisation of their codes (`translate(method="optimize")`) instead of encoders.

Prints the CPU flags, a table and JSON.
"""

# keras-lord before keras: it chooses TensorFlow's and XLA's CPU kernels, which they fix
# when they load (docs/performance.md, "A CPU that shows only AVX2").
import keras_lord  # noqa: F401

# isort: split
import argparse
import os
import time

import keras
from compare_checkouts import cpu_flags
from time_to_quality import add_data_arguments, benchmark_data, emit_report, run_variant

from keras_lord.evaluation import content_transfer_error
from keras_lord.saving import load_trainer
from keras_lord.training_run import STAGE1_FILE

VARIANTS = {
    "lord": {},
    "semi_amortized": {"stage1_codes": "semi_amortized"},
    "amortized": {"stage1_codes": "amortized"},
    "kl": {"content_regularization": "kl"},
    "no_regularization": {"content_regularization": "none"},
}


def without_second_stage(lord, train, test, arguments):
    """`lord`'s stage-1 model on the held-out objects, by test-time optimisation."""
    trainer = load_trainer(os.path.join(arguments.out, "lord", STAGE1_FILE))

    def translate(class_images, content_images):
        return trainer.translate(
            class_images, content_images, method="optimize", steps=arguments.optimize_steps
        )

    start = time.perf_counter()
    held_out = content_transfer_error(translate, test, num_pairs=arguments.pairs)
    stage1_rows = [row for row in lord["curve"] if row["split"] == "training objects"]
    last_stage1 = max(
        (row for row in stage1_rows if row["stage"] == 1), key=lambda row: row["epoch"]
    )
    return {
        "overrides": {"optimize_steps": arguments.optimize_steps},
        "wall_seconds": round(time.perf_counter() - start, 1),
        "training_objects": {**lord["training_objects"], "model": last_stage1},
        "held_out_objects": held_out,
        "leakage": lord["leakage"],
    }


def print_table(variants):
    print(
        f"{'variant':18} {'seconds':>8} {'train LPIPS':>12} {'held-out LPIPS':>15} "
        f"{'class<-content':>15} {'content<-class':>15}"
    )
    for name, result in variants.items():
        leakage = result["leakage"]
        print(
            f"{name:18} {result['wall_seconds']:8.1f} "
            f"{result['training_objects']['model']['lpips']:12.3f} "
            f"{result['held_out_objects']['model']['lpips']:15.3f} "
            f"{leakage['class_from_content_codes']['accuracy']:15.3f} "
            f"{leakage['content_from_class_codes']['accuracy']:15.3f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/keras-lord-ablations")
    parser.add_argument(
        "--variant",
        action="append",
        choices=[*VARIANTS, "no_second_stage"],
        help="default: all of them",
    )
    add_data_arguments(parser)
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument("--encoder-epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--latent-lr", type=float, default=3e-2)
    parser.add_argument("--every", type=int, default=8, help="epochs between evaluations")
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--optimize-steps", type=int, default=50)
    parser.add_argument("--json", help="also write the report here")
    arguments = parser.parse_args()
    # Kept in this order: `no_second_stage` reuses `lord`'s run.
    chosen = [
        name for name in [*VARIANTS, "no_second_stage"] if name in (arguments.variant or [name])
    ]
    if "no_second_stage" in chosen and "lord" not in chosen:
        parser.error("`no_second_stage` scores the `lord` variant's stage 1: add --variant lord")
    train, test = benchmark_data(arguments)
    report = {
        "cpu_flags": cpu_flags(),
        "cpus": os.cpu_count(),
        "backend": keras.backend.backend(),
        "arguments": vars(arguments),
        "variants": {},
    }
    for name in chosen:
        print(f"== {name}", flush=True)
        if name == "no_second_stage":
            result = without_second_stage(report["variants"]["lord"], train, test, arguments)
        else:
            result = run_variant(name, VARIANTS[name], train, test, arguments)
        report["variants"][name] = result
    print(f"CPU flags: {report['cpu_flags']}")
    print_table(report["variants"])
    emit_report(report, arguments.json)


if __name__ == "__main__":
    main()
