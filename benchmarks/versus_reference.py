"""keras-lord's stage-1 training against the reference step, timed alternately in one run.

    KERAS_BACKEND=tensorflow python benchmarks/versus_reference.py --precision bfloat16
    KERAS_BACKEND=tensorflow python benchmarks/versus_reference.py --fit
    KERAS_BACKEND=jax python benchmarks/versus_reference.py --preset paper --device cuda

Each side lives in its own process (keras-lord on the current Keras backend, the reference
in PyTorch, see reference_torch.py), is built and warmed up, and then the two take turns:
a round of steps on one side while the other waits, then a round on the other, so that the
drift of a shared machine hits both alike. keras-lord runs `train_on_batch` steps, or with
`--fit` one `LordTrainer.fit` epoch per round, timed per batch by a callback. Prints JSON
with the median step time and images per second of each side and their ratio.

keras-lord's side takes the targets' VGG features from a cache where `fit` would
(`--target-feature-cache auto`, the default; computed once, in the warm-up round); the
reference steps compute them every step, and `--target-feature-cache off` makes it do so too.

With `--authors-checkout DIR` (a checkout of https://github.com/avivga/lord-pytorch) a
third side runs the authors' own modules (authors_step.py), and the JSON also gives the
speedup over them.

Needs PyTorch beside keras-lord (not a dependency of the library; any recent CPU or CUDA
build), and torchvision for the authors' modules.
"""

import argparse
import json
import multiprocessing
import os
import statistics
import time


def _keras_side(connection, arguments):
    import keras
    import numpy as np
    from throughput import apply_kernel_choices, build

    settings = argparse.Namespace(stage=1, table_updates="rowwise", **vars(arguments))
    trainer, batch, kernel_choices = build(settings, {})
    apply_kernel_choices(kernel_choices)
    round_size = arguments.steps_per_round * arguments.batch_size
    rng = np.random.default_rng(0)
    data = {
        "image": rng.integers(0, 256, (round_size,) + trainer.image_shape, dtype="uint8"),
        "class_id": rng.integers(0, 64, round_size).astype("int32"),
        "sample_id": rng.integers(0, arguments.table_rows, round_size).astype("int32"),
    }

    class BatchTimes(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.times, self.start = [], time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            self.times.append(now - self.start)
            self.start = now

    batch_times = BatchTimes()

    def run_round():
        if arguments.fit:
            trainer.fit(
                data,
                batch_size=arguments.batch_size,
                epochs=1,
                shuffle=False,
                verbose=0,
                callbacks=[batch_times],
            )
            return batch_times.times
        times = []
        for _ in range(arguments.steps_per_round):
            start = time.perf_counter()
            trainer.train_on_batch(batch)
            times.append(time.perf_counter() - start)
        return times

    cached = kernel_choices["target_feature_cache"] == "on"
    targets = "cached" if cached else "computed every step"
    _serve(
        connection,
        run_round,
        f"keras-lord on {keras.backend.backend()}, the targets' VGG features {targets}",
    )


def _reference_side(connection, arguments):
    import torch
    from reference_torch import build_reference_step

    _, step = build_reference_step(
        arguments.preset_settings,
        arguments.batch_size,
        num_samples=arguments.table_rows,
        device=arguments.device,
    )

    _serve_steps(connection, step, arguments, f"reference step in PyTorch {torch.__version__}")


def _authors_side(connection, arguments):
    import torch
    from authors_step import build_authors_step

    _, step = build_authors_step(
        arguments.authors_checkout,
        arguments.preset_settings,
        arguments.batch_size,
        num_samples=arguments.table_rows,
        device=arguments.device,
        freeze_vgg=not arguments.authors_vgg_trainable,
    )

    description = f"the authors' modules in PyTorch {torch.__version__}"
    _serve_steps(connection, step, arguments, description)


def _serve_steps(connection, step, arguments, description):
    """Serves rounds of `steps_per_round` calls of `step`, each timed."""

    def run_round():
        times = []
        for _ in range(arguments.steps_per_round):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        return times

    _serve(connection, run_round, description)


def _serve(connection, run_round, description):
    run_round()  # warm-up: tracing, compilation, allocations
    connection.send(description)
    while connection.recv():
        connection.send(run_round())


def main():
    from compare_checkouts import cpu_flags
    from throughput import add_common_arguments

    from keras_lord import get_preset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps-per-round", type=int, default=8)
    parser.add_argument("--fit", action="store_true", help="time LordTrainer.fit epochs")
    parser.add_argument("--device", default="cpu", help="the reference's torch device")
    parser.add_argument(
        "--authors-checkout", help="a checkout of avivga/lord-pytorch: also time their modules"
    )
    parser.add_argument(
        "--authors-vgg-trainable",
        action="store_true",
        help="leave their VGG16 trainable, as their train_latent does (default: frozen)",
    )
    arguments = parser.parse_args()
    if arguments.authors_checkout and not os.path.isfile(
        os.path.join(arguments.authors_checkout, "model", "modules.py")
    ):
        parser.error(
            f"--authors-checkout {arguments.authors_checkout} holds no model/modules.py: "
            "give a checkout of https://github.com/avivga/lord-pytorch"
        )
    arguments.preset_settings = get_preset(arguments.preset)

    context = multiprocessing.get_context("spawn")
    sides = {}
    targets = [("keras_lord", _keras_side), ("reference", _reference_side)]
    if arguments.authors_checkout:
        targets.append(("authors", _authors_side))
    for name, target in targets:
        parent_end, child_end = context.Pipe()
        process = context.Process(target=target, args=(child_end, arguments))
        process.start()
        # One side warms up (and compiles) at a time, so neither's start slows the other.
        sides[name] = (process, parent_end, parent_end.recv())
    times = {name: [] for name in sides}
    for _ in range(arguments.rounds):
        for name, (_, connection, _) in sides.items():
            connection.send(True)
            times[name].extend(connection.recv())
    for process, connection, _ in sides.values():
        connection.send(False)
        process.join()

    results = {
        "cpu_flags": cpu_flags(),
        "isa_limits": {
            name: os.environ[name]
            for name in (
                "ONEDNN_MAX_CPU_ISA",
                "ATEN_CPU_CAPABILITY",
                "TF_ENABLE_ONEDNN_OPTS",
                "XLA_FLAGS",
            )
            if name in os.environ
        },
        "preset": arguments.preset,
        "batch_size": arguments.batch_size,
        "keras_lord_precision": arguments.precision,
        "keras_lord_timing": "LordTrainer.fit" if arguments.fit else "train_on_batch",
        "rounds": arguments.rounds,
        "steps_per_round": arguments.steps_per_round,
    }
    for name, (_, _, description) in sides.items():
        median = statistics.median(times[name])
        results[name] = {
            "implementation": description,
            "median_step_ms": round(median * 1000, 1),
            "images_per_second": round(arguments.batch_size / median, 1),
        }
    for name in sides:
        if name != "keras_lord":
            results[f"speedup_over_{name}"] = round(
                results[name]["median_step_ms"] / results["keras_lord"]["median_step_ms"], 3
            )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
