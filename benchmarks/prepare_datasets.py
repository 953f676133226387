"""Time and peak memory of `keras-lord prepare` and of loading its output, at real sizes.

    python benchmarks/prepare_datasets.py --dataset smallnorb --scale 1.0 --work /tmp/bench

Synthesises the publisher's files (Cars3D: 183 `.mat` files of (128, 128, 3, 24, 4);
SmallNORB: the six NORB matrix files, 2 x 24,300 stereo pairs of 96x96) with `--scale`
of the real number of objects, then prepares them in a fresh process (so its peak memory
is its own) and loads `train.npz` back. Prints the CPU flags and JSON of the figures; with
`--baseline FILE` (an earlier output) also the ratios to it. Times and memory are taken
after the imports (TensorFlow or JAX alone take hundreds of MB).
"""

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import time

import numpy as np
from compare_checkouts import cpu_flags

from keras_lord.datasets.smallnorb import PARTS


def synthesise_cars3d(directory, scale):
    from scipy.io import savemat

    cars = os.path.join(directory, "data", "cars")
    os.makedirs(cars, exist_ok=True)
    rng = np.random.default_rng(0)
    count = max(2, round(183 * scale))
    for car in range(count):
        buffer = io.BytesIO()
        savemat(buffer, {"im": rng.integers(0, 255, (128, 128, 3, 24, 4), dtype="uint8")})
        with open(os.path.join(cars, f"car_{car + 1:03d}_mesh.mat"), "wb") as file:
            file.write(buffer.getvalue())
    return count * 96


def synthesise_smallnorb(directory, scale):
    from keras_lord.datasets import write_norb_matrix

    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(0)
    pairs = max(10, round(24300 * scale))
    for part, stem in PARTS.items():
        instances = (4, 6, 7, 8, 9) if part == "training" else (0, 1, 2, 3, 5)
        info = np.stack(
            [
                rng.choice(instances, pairs),
                rng.integers(0, 9, pairs),
                rng.integers(0, 18, pairs) * 2,
                rng.integers(0, 6, pairs),
            ],
            axis=1,
        ).astype("int32")
        files = {
            "dat": rng.integers(0, 255, (pairs, 2, 96, 96), dtype="uint8"),
            "cat": rng.integers(0, 5, pairs).astype("int32"),
            "info": info,
        }
        for kind, array in files.items():
            with open(os.path.join(directory, f"{stem}-{kind}.mat.gz"), "wb") as file:
                file.write(gzip.compress(write_norb_matrix(array), compresslevel=1))
    return 2 * 2 * pairs


MEASURE = """
import json, time
def memory_mb(key):
    # /proc, not getrusage: ru_maxrss survives the exec and would count the parent's arrays.
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(key))
    return int(line.split()[1]) / 1024
{imports}
imported_mb = memory_mb("VmRSS")
start = time.perf_counter()
{body}
print(json.dumps({{"seconds": time.perf_counter() - start, "rss_after_imports_mb": imported_mb,
                  "peak_rss_mb": memory_mb("VmHWM")}}))
"""


def measured(imports, body):
    code = MEASURE.format(imports=imports, body=body)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["cars3d", "smallnorb"], default="smallnorb")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the real size")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--work", default="/tmp/keras-lord-prepare-benchmark")
    parser.add_argument("--baseline", help="a JSON this script printed before")
    arguments = parser.parse_args()
    source = os.path.join(arguments.work, arguments.dataset, "source")
    output = os.path.join(arguments.work, arguments.dataset, "prepared")
    start = time.perf_counter()
    synthesise = synthesise_cars3d if arguments.dataset == "cars3d" else synthesise_smallnorb
    images = synthesise(source, arguments.scale)
    synthesis_seconds = time.perf_counter() - start
    prepare = measured(
        "from keras_lord.datasets.prepare import prepare_dataset",
        f"prepare_dataset({arguments.dataset!r}, {source!r}, {output!r}, force=True, "
        f"verbose=False, size={arguments.size})",
    )
    cached = measured(
        "from keras_lord.datasets.prepare import prepare_dataset",
        f"prepare_dataset({arguments.dataset!r}, {source!r}, {output!r}, verbose=False, "
        f"size={arguments.size})",
    )
    load = measured(
        "from keras_lord.data import LordData",
        f"data = LordData.from_npz({os.path.join(output, 'train.npz')!r})",
    )
    report = {
        "cpu_flags": cpu_flags(),
        "cpus": os.cpu_count(),
        "dataset": arguments.dataset,
        "scale": arguments.scale,
        "images": images,
        "size": arguments.size,
        "synthesis_seconds": round(synthesis_seconds, 1),
        "prepare": prepare,
        "prepare_again_cached": cached,
        "load_train_npz": load,
        "train_npz_mb": os.path.getsize(os.path.join(output, "train.npz")) / 2**20,
    }
    if arguments.baseline:
        with open(arguments.baseline) as file:
            baseline = json.load(file)
        report["ratio_to_baseline"] = {
            step: report[step]["seconds"] / baseline[step]["seconds"]
            for step in ("prepare", "prepare_again_cached", "load_train_npz")
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
