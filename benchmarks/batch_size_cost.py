"""Per-image cost of `LordTrainer.fit` against the batch size, and the fixed cost of a step.

    KERAS_BACKEND=tensorflow python benchmarks/batch_size_cost.py --batch-sizes 8,16,32,64

For each batch size, a fresh trainer (`small` preset unless `--preset`) trains stage 1
(or `--stage 2`) on `--images` random images through `LordTrainer.fit`, with the data
pipeline, callbacks and progress of a real run (`verbose=0`); the first epoch compiles and
is not timed, the next `--epochs` are, one by one, and the fastest counts. A line fitted
through (batch size, seconds per step) splits a step into a fixed cost (the intercept: the
host's work per step, launch overheads) and a cost per image (the slope): a small batch
pays the fixed cost on few images, which is what dominates the demo's batch of 8. Prints
the CPU flags and JSON.
"""

# keras-lord before keras: it chooses TensorFlow's and XLA's CPU kernels, which they fix
# when they load (docs/performance.md, "A CPU that shows only AVX2").
import keras_lord  # noqa: F401

# isort: split
import argparse
import os
import time
import warnings

import keras
import numpy as np
from compare_checkouts import cpu_flags
from time_to_quality import emit_report

from keras_lord import LordTrainer
from keras_lord.losses import VGGPerceptualLoss


class EpochTimer(keras.callbacks.Callback):
    """Wall time of every epoch."""

    def __init__(self):
        super().__init__()
        self.seconds = []
        self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def seconds_per_step(batch_size, arguments):
    """The fastest timed epoch's seconds per step at one batch size."""
    rng = np.random.default_rng(0)
    shape = (arguments.size, arguments.size, 3)
    classes = 16
    inputs = {
        "image": rng.integers(0, 256, (arguments.images,) + shape, dtype="uint8"),
        "class_id": rng.integers(0, classes, arguments.images).astype("int32"),
        "sample_id": np.arange(arguments.images, dtype="int32"),
    }
    extra = {}
    if arguments.vgg_weights == "random":
        # The time of a step does not depend on the values of the frozen VGG.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            extra["perceptual_loss"] = VGGPerceptualLoss(vgg_weights=None)
    trainer = LordTrainer(
        classes,
        arguments.images,
        image_shape=shape,
        preset=arguments.preset,
        precision=arguments.precision,
        seed=0,
        **extra,
    )
    trainer.compile()
    if arguments.stage == 2:
        trainer.start_stage2()
    timer = EpochTimer()
    trainer.fit(
        inputs,
        batch_size=batch_size,
        epochs=arguments.epochs + 1,
        verbose=0,
        callbacks=[timer],
    )
    steps = -(-arguments.images // batch_size)
    return min(timer.seconds[1:]) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", default="8,16,32,64")
    parser.add_argument("--images", type=int, default=256, help="training images")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per batch size")
    parser.add_argument("--preset", default="small", choices=["small", "paper"])
    parser.add_argument("--size", type=int, default=32, help="image height and width")
    parser.add_argument("--stage", type=int, default=1, choices=[1, 2])
    parser.add_argument("--precision", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument("--vgg-weights", default="torchvision", choices=["torchvision", "random"])
    parser.add_argument("--json", help="also write the report here")
    arguments = parser.parse_args()
    batch_sizes = [int(size) for size in arguments.batch_sizes.split(",")]
    rows = []
    for batch_size in batch_sizes:
        step = seconds_per_step(batch_size, arguments)
        rows.append(
            {
                "batch_size": batch_size,
                "ms_per_step": round(1000 * step, 1),
                "ms_per_image": round(1000 * step / batch_size, 2),
                "images_per_second": round(batch_size / step, 1),
            }
        )
        print(rows[-1], flush=True)
    report = {
        "cpu_flags": cpu_flags(),
        "cpus": os.cpu_count(),
        "backend": keras.backend.backend(),
        "arguments": vars(arguments),
        "rows": rows,
    }
    if len(rows) > 1:
        slope, intercept = np.polyfit(
            [row["batch_size"] for row in rows], [row["ms_per_step"] for row in rows], 1
        )
        report["fixed_ms_per_step"] = round(float(intercept), 1)
        report["ms_per_image_marginal"] = round(float(slope), 2)
    emit_report(report, arguments.json)


if __name__ == "__main__":
    main()
