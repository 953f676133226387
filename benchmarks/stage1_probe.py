"""Stage 1 alone, probed as it trains: do the content codes learn a viewpoint shared by all objects?

    KERAS_BACKEND=tensorflow python benchmarks/stage1_probe.py --objects 40 --held-out 8 \\
        --azimuths 24 --elevations 1 --shape-variation 0.3 --epochs 48 --probes 6

Trains stage 1 (`small` preset) on the training objects of `time_to_quality`'s rendered
objects and, `--probes` times during training, reports: stage-1 transfer MSE through the
tables on fixed pairs of training images (the object of one, the viewpoint of the other,
against the exact rendering), next to copying the class image; a logistic probe of the
viewpoint from the content codes (a code that means the same view on every object scores
well above chance); the object from the content codes (leakage); the reconstruction loss;
and the content codes' RMS against the noise std. `--trainer key=value` sets any
`LordTrainer` argument (`content_dim=16`, `noise_std=0.5`, ...). Prints the CPU flags and
JSON.
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

from keras_lord import LordTrainer
from keras_lord.evaluation import probe_accuracy


class StageOneProbe(keras.callbacks.Callback):
    """Probes the trainer's tables and transfer every `every` epochs."""

    def __init__(self, trainer, train, every, pairs, seed=0):
        super().__init__()
        self.trainer = trainer
        self.train = train
        self.every = every
        rng = np.random.default_rng(seed)
        self.class_rows = rng.integers(0, train.num_samples, pairs)
        self.content_rows = rng.integers(0, train.num_samples, pairs)
        index = {pair: row for row, pair in enumerate(zip(train.class_ids, train.content_ids))}
        images = train.float_images()
        self.truth = images[
            [
                index[(train.class_ids[i], train.content_ids[j])]
                for i, j in zip(self.class_rows, self.content_rows)
            ]
        ]
        self.copy_class_mse = float(np.mean((images[self.class_rows] - self.truth) ** 2))
        self.rows = []
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        if keras.backend.backend() == "jax":
            self.trainer.jax_state_sync()
        seconds = time.perf_counter() - self.start
        output = self.trainer.generate(self.train.class_ids[self.class_rows], self.content_rows)
        content = self.trainer.tables.table("content")
        view = probe_accuracy(content, self.train.content_ids)
        leakage = probe_accuracy(content, self.train.class_ids)
        self.rows.append(
            {
                "epoch": epoch + 1,
                "seconds": round(seconds, 1),
                "transfer_mse": round(float(np.mean((output - self.truth) ** 2)), 4),
                "view_from_content_codes": round(view["accuracy"], 3),
                "view_chance": round(view["chance"], 3),
                "object_from_content_codes": round(leakage["accuracy"], 3),
                "object_chance": round(leakage["chance"], 3),
                "reconstruction_loss": round(float(logs["loss"]), 3),
                "content_rms": round(float(np.sqrt(np.mean(content**2))), 3),
            }
        )
        print(self.rows[-1], flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_arguments(parser)
    parser.add_argument("--epochs", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--latent-lr", type=float, default=3e-2)
    parser.add_argument("--probes", type=int, default=6, help="probes during training")
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trainer", default="", help="key=value,... LordTrainer arguments")
    parser.add_argument("--json", help="also write the report here")
    arguments = parser.parse_args()
    train, _ = benchmark_data(arguments)
    _, overrides = parse_variant(f"trainer:{arguments.trainer}")
    trainer = LordTrainer(
        train.num_classes,
        train.num_samples,
        image_shape=train.image_shape,
        preset="small",
        seed=arguments.seed,
        **overrides,
    )
    trainer.compile(latent_learning_rate=arguments.latent_lr)
    probe = StageOneProbe(
        trainer, train, max(1, arguments.epochs // arguments.probes), arguments.pairs
    )
    trainer.fit(
        train.inputs(),
        batch_size=arguments.batch_size,
        epochs=arguments.epochs,
        verbose=0,
        callbacks=[probe],
    )
    report = {
        "cpu_flags": cpu_flags(),
        "cpus": os.cpu_count(),
        "backend": keras.backend.backend(),
        "arguments": vars(arguments),
        "copy_class_mse": round(probe.copy_class_mse, 4),
        "curve": probe.rows,
    }
    emit_report(report, arguments.json)


if __name__ == "__main__":
    main()
