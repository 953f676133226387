"""What a distributed training step costs: bytes exchanged and measured overhead.

Run on one host with virtual CPU devices (the script sets `XLA_FLAGS` before JAX starts):

    KERAS_BACKEND=jax python benchmarks/distributed_step.py --devices 8 --out report.json

Two parts, side by side in one run:

* **Communication, read from the compiled program.** For the `paper` preset at each
  `--sizes` (a CelebA-sized content table of `--samples` rows, `--batch` images a step),
  the step `--distribution model` trains is compiled on all the devices and its collectives
  read (`keras_lord.distribution.step_communication`); printed beside the weights' bytes
  (what a data-parallel gradient all-reduce carries) and the content table's (what a dense
  table update would), and the FLOPs per image of `flop_count.py`.
* **Overhead on this CPU.** Steps per second of a `small` trainer at 32 px on 1 device
  (no distribution) and with `data` and `model` over `--counts` (2 and 4) of the virtual
  devices: the devices share the same cores, so this is the cost of splitting, not a
  speed-up. On a host with several GPUs (`benchmarks/gpu_suite.sh`) the same variants time
  the scaling over real devices.
"""

import argparse
import os
import sys

if "jax" not in sys.modules:
    _devices = sys.argv[sys.argv.index("--devices") + 1] if "--devices" in sys.argv else "8"
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={_devices}"
    )

# keras-lord before keras: it chooses XLA's CPU kernels, which XLA fixes when it starts.
import keras_lord  # noqa: E402

# isort: split
import math  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
from compare_checkouts import cpu_flags  # noqa: E402
from flop_count import training_flops_per_image  # noqa: E402
from time_to_quality import emit_report  # noqa: E402

from keras_lord.distribution import DISTRIBUTION_CHOICES, step_communication  # noqa: E402


def random_batch(trainer, batch, seed=0):
    generator = np.random.default_rng(seed)
    return {
        "image": generator.integers(0, 256, (batch, *trainer.image_shape), dtype="uint8"),
        "class_id": generator.integers(0, trainer.num_classes, batch),
        "sample_id": generator.choice(trainer.num_samples, batch, replace=False),
    }


def communication(size, arguments):
    devices = keras.distribution.list_devices()
    keras.distribution.set_distribution(DISTRIBUTION_CHOICES.get("model").make(devices))
    trainer = keras_lord.LordTrainer(
        num_classes=arguments.classes,
        num_samples=arguments.samples,
        image_shape=(size, size, 3),
        preset="paper",
        seed=0,
    )
    trainer.compile()
    started = time.perf_counter()
    collectives = step_communication(trainer, random_batch(trainer, arguments.batch))
    compile_seconds = time.perf_counter() - started
    keras.distribution.set_distribution(None)
    by_kind = {}
    for collective in collectives:
        by_kind[collective.kind] = by_kind.get(collective.kind, 0) + collective.bytes
    weight_bytes = sum(
        math.prod(variable.shape) * 4 for variable in trainer.model.trainable_variables
    )
    table = trainer.tables.tables["content"].embeddings
    return {
        "image_size": size,
        "devices": len(devices),
        "batch": arguments.batch,
        "collective_bytes_per_device": sum(by_kind.values()),
        "collective_bytes_by_kind": by_kind,
        "largest_collective_bytes": max(c.bytes for c in collectives),
        "network_weight_bytes": weight_bytes,
        "content_table_bytes": math.prod(table.shape) * 4,
        "flops_per_image": training_flops_per_image(trainer)["total"],
        "compile_seconds": round(compile_seconds, 1),
    }


def steps_per_second(name, count, arguments):
    devices = keras.distribution.list_devices()[:count]
    distribution = None if name is None else DISTRIBUTION_CHOICES.get(name).make(devices)
    keras.distribution.set_distribution(distribution)
    data = keras_lord.data.SyntheticObjects(num_classes=8, num_azimuths=16, seed=0).data()
    trainer = keras_lord.LordTrainer(
        num_classes=data.num_classes,
        num_samples=data.num_samples,
        image_shape=data.image_shape,
        preset="small",
        seed=0,
    )
    trainer.compile()
    inputs = data.inputs()
    trainer.fit(inputs, batch_size=arguments.overhead_batch, epochs=1, verbose=0)  # compiles
    started = time.perf_counter()
    trainer.fit(inputs, batch_size=arguments.overhead_batch, epochs=arguments.epochs, verbose=0)
    steps = arguments.epochs * (len(inputs["image"]) // arguments.overhead_batch)
    keras.distribution.set_distribution(None)
    return {
        "distribution": name or "none",
        "devices": count,
        "steps_per_second": round(steps / (time.perf_counter() - started), 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=8, help="virtual CPU devices")
    parser.add_argument("--sizes", type=int, nargs="*", default=[64, 128])
    parser.add_argument("--samples", type=int, default=182_700, help="content table rows")
    parser.add_argument("--classes", type=int, default=10_177)
    parser.add_argument("--batch", type=int, default=128, help="global batch of the paper")
    parser.add_argument("--overhead-batch", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per variant")
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument(
        "--counts", default="2,4", help="device counts timed beside one device, e.g. 2,4,8"
    )
    parser.add_argument("--out", help="also write the report here")
    arguments = parser.parse_args()
    report = {
        "cpu_flags": cpu_flags(),
        "date": time.strftime("%Y-%m-%d"),
        "communication": [communication(size, arguments) for size in arguments.sizes],
    }
    if not arguments.skip_overhead:
        counts = [int(count) for count in arguments.counts.split(",")]
        variants = [(None, 1)] + [
            (name, count) for count in counts for name in DISTRIBUTION_CHOICES.names()
        ]
        report["overhead"] = [steps_per_second(name, n, arguments) for name, n in variants]
    emit_report(report, arguments.out)


if __name__ == "__main__":
    main()
