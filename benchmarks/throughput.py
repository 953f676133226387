"""Training throughput of LordTrainer: images per second, median of timed steps.

    KERAS_BACKEND=tensorflow python benchmarks/throughput.py --preset small --batch-size 64
    # two configurations timed alternately in one run, with their ratio:
    KERAS_BACKEND=tensorflow python benchmarks/throughput.py --compare precision=bfloat16

Each configuration trains on random images of its preset's shape; steps are timed one by
one after warm-up (the first call compiles), alternating between the configurations in
rounds so that drift of a shared machine hits both alike. Prints JSON.
"""

import argparse
import json
import resource
import statistics
import time

import keras
import numpy as np

from keras_lord import LordTrainer, get_preset


def build(arguments, overrides):
    settings = {
        "preset": arguments.preset,
        "stage": arguments.stage,
        "precision": arguments.precision,
        "num_samples": arguments.table_rows,
    }
    settings.update(overrides)
    if "table_rows" in settings:
        settings["num_samples"] = settings.pop("table_rows")
    stage = int(settings.pop("stage"))
    trainer = LordTrainer(num_classes=64, seed=0, **settings)
    trainer.compile()
    if stage == 2:
        trainer.start_stage2()
    rng = np.random.default_rng(0)
    shape = trainer.image_shape
    batch = {
        "image": rng.integers(0, 256, (arguments.batch_size,) + shape, dtype="uint8"),
        "class_id": rng.integers(0, 64, arguments.batch_size).astype("int32"),
        "sample_id": rng.integers(0, trainer.num_samples, arguments.batch_size).astype("int32"),
    }
    return trainer, batch


def parse_overrides(text):
    overrides = {}
    for item in text.split(",") if text else []:
        key, value = item.split("=", 1)
        for cast in (int, float):
            try:
                value = cast(value)
                break
            except ValueError:
                pass
        overrides[key] = value
    return overrides


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="small", choices=["small", "paper"])
    parser.add_argument("--stage", type=int, default=1, choices=[1, 2])
    parser.add_argument("--precision", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--table-rows", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--compare", help="overrides of a second configuration, k=v,k=v")
    arguments = parser.parse_args()

    configurations = {"baseline": {}}
    if arguments.compare:
        configurations[arguments.compare] = parse_overrides(arguments.compare)
    built = {name: build(arguments, overrides) for name, overrides in configurations.items()}
    times = {name: [] for name in built}
    for trainer, batch in built.values():
        for _ in range(arguments.warmup):
            trainer.train_on_batch(batch)
    for _ in range(arguments.steps):
        for name, (trainer, batch) in built.items():
            start = time.perf_counter()
            trainer.train_on_batch(batch)
            times[name].append(time.perf_counter() - start)
    results = {
        "backend": keras.backend.backend(),
        "preset": arguments.preset,
        "image_shape": list(get_preset(arguments.preset)["image_shape"]),
        "stage": arguments.stage,
        "batch_size": arguments.batch_size,
        "table_rows": arguments.table_rows,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "configurations": {},
    }
    for name, samples in times.items():
        median = statistics.median(samples)
        results["configurations"][name] = {
            "overrides": configurations[name],
            "jit_compile": built[name][0].jit_compile,
            "median_step_ms": round(median * 1000, 1),
            "images_per_second": round(arguments.batch_size / median, 1),
        }
    if arguments.compare:
        base = results["configurations"]["baseline"]["median_step_ms"]
        other = results["configurations"][arguments.compare]["median_step_ms"]
        results["speedup_of_compared"] = round(base / other, 3)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
