"""Time and peak memory of `keras-lord prepare` and of loading its output, at real sizes.

    python benchmarks/prepare_datasets.py --dataset smallnorb --scale 1.0 --work /tmp/bench

Synthesises the publisher's files with `--scale` of the real number of objects (Cars3D:
183 `.mat` files of (128, 128, 3, 24, 4); SmallNORB: the six NORB matrix files, 2 x 24,300
stereo pairs of 96x96; CelebA: 202,599 aligned 178x218 JPEGs of 10,177 identities; RaFD:
8,040 portraits of 681x1024; Edges2Shoes: `edges2shoes.tar.gz` of 50,025 + 200 pairs of
256x512; anime: 63,632 faces of varied sizes; KTH: the 25 handwaving d4 videos of about
500 frames at 160x120), then prepares them in a fresh process (so its peak memory is its
own) and loads `train.npz` back. JPEGs are textured so that their sizes are near the real
ones (CelebA about 8 KB, Edges2Shoes about 40 KB; the report gives the source's size); a
few dozen distinct files are repeated, as decoding costs the same. Prints the CPU flags
and JSON of the figures; with `--baseline FILE` (an earlier output) also the ratios to it.
Times and memory are taken after the imports (TensorFlow or JAX alone take hundreds of MB).
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


def textured_jpegs(count, width, height, quality=90, seed=0):
    """`count` distinct JPEGs of smooth shapes and grain, the size of real photos."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[0:height, 0:width]
    encoded = []
    for _ in range(count):
        phase = rng.uniform(0, 6.3, 3)
        picture = np.stack(
            [
                127 + 100 * np.sin(rows / (9 + 7 * k) + columns / (13 + 5 * k) + phase[k])
                for k in range(3)
            ],
            axis=-1,
        )
        picture += rng.normal(0, 6, picture.shape)
        buffer = io.BytesIO()
        Image.fromarray(picture.clip(0, 255).astype("uint8")).save(buffer, "JPEG", quality=quality)
        encoded.append(buffer.getvalue())
    return encoded


def write_copies(directory, names, encoded):
    os.makedirs(directory, exist_ok=True)
    for index, name in enumerate(names):
        with open(os.path.join(directory, name), "wb") as file:
            file.write(encoded[index % len(encoded)])


def synthesise_celeba(directory, scale):
    count = max(20, round(202599 * scale))
    identities = max(2, round(10177 * scale))
    names = [f"{index + 1:06d}.jpg" for index in range(count)]
    write_copies(
        os.path.join(directory, "img_align_celeba"), names, textured_jpegs(64, 178, 218, quality=75)
    )
    os.makedirs(os.path.join(directory, "Anno"), exist_ok=True)
    with open(os.path.join(directory, "Anno", "identity_CelebA.txt"), "w") as file:
        file.writelines(f"{name} {1 + index % identities}\n" for index, name in enumerate(names))
    return count


def synthesise_rafd(directory, scale):
    from keras_lord.datasets.rafd import EXPRESSIONS, GAZES

    names = [
        f"Rafd{angle:03d}_{subject:02d}_Caucasian_female_{expression}_{gaze}.jpg"
        for angle in (0, 45, 90, 135, 180)
        for subject in range(1, 1 + max(1, round(67 * scale)))
        for expression in EXPRESSIONS
        for gaze in GAZES
    ]
    write_copies(directory, names, textured_jpegs(16, 681, 1024))
    return len(names)


def synthesise_edges2shoes(directory, scale):
    import tarfile

    encoded = textured_jpegs(32, 512, 256)
    os.makedirs(directory, exist_ok=True)
    counts = {"train": max(10, round(50025 * scale)), "val": 200}
    path = os.path.join(directory, "edges2shoes.tar.gz")
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for part, count in counts.items():
            for index in range(count):
                content = encoded[index % len(encoded)]
                member = tarfile.TarInfo(f"edges2shoes/{part}/{index + 1}_AB.jpg")
                member.size = len(content)
                tar.addfile(member, io.BytesIO(content))
    return 2 * sum(counts.values())


def synthesise_anime(directory, scale):
    sizes = (64, 80, 96, 112)
    encoded = [jpeg for side in sizes for jpeg in textured_jpegs(8, side, side, seed=side)]
    count = max(20, round(63632 * scale))
    names = [f"{number}_2010.jpg" for number in range(count)]
    write_copies(os.path.join(directory, "cropped"), names, encoded)
    return count


def synthesise_kth(directory, scale):
    import av

    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(0)
    people = max(2, round(25 * scale))
    lines = []
    for person in range(1, people + 1):
        frames = 500
        name = f"person{person:02d}_handwaving_d4"
        container = av.open(os.path.join(directory, f"{name}_uncomp.avi"), "w", format="avi")
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        background = rng.integers(60, 200, (120, 160, 3), dtype="uint8")
        for number in range(frames):
            picture = background.copy()
            picture[20:100, 70 + number % 20 : 90 + number % 20] = 30
            container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        container.mux(stream.encode())
        container.close()
        lines.append(f"{name}\t\tframes\t1-120, 121-240, 241-360, 361-480\n")
    with open(os.path.join(directory, "00sequences.txt"), "w") as file:
        file.writelines(lines)
    return people * 480


SYNTHESISERS = {
    "cars3d": synthesise_cars3d,
    "smallnorb": synthesise_smallnorb,
    "celeba": synthesise_celeba,
    "rafd": synthesise_rafd,
    "edges2shoes": synthesise_edges2shoes,
    "anime": synthesise_anime,
    "kth": synthesise_kth,
}


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
    parser.add_argument("--dataset", choices=sorted(SYNTHESISERS), default="smallnorb")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the real size")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--work", default="/tmp/keras-lord-prepare-benchmark")
    parser.add_argument("--baseline", help="a JSON this script printed before")
    arguments = parser.parse_args()
    source = os.path.join(arguments.work, arguments.dataset, "source")
    output = os.path.join(arguments.work, arguments.dataset, "prepared")
    start = time.perf_counter()
    images = SYNTHESISERS[arguments.dataset](source, arguments.scale)
    synthesis_seconds = time.perf_counter() - start
    options = f"size={arguments.size}"
    # The held-out classes, scaled with the data (the real sets hold out 20 cars, 1,000
    # identities).
    if arguments.dataset in ("cars3d", "celeba"):
        real = {"cars3d": (183, 20), "celeba": (10177, 1000)}[arguments.dataset]
        classes = max(2, round(real[0] * arguments.scale))
        options += f", held_out={max(1, round(classes * real[1] / real[0]))}"
    call = f"prepare_dataset({arguments.dataset!r}, {source!r}, {output!r}, verbose=False, "
    prepare = measured(
        "from keras_lord.datasets.prepare import prepare_dataset",
        f"{call}force=True, {options})",
    )
    cached = measured(
        "from keras_lord.datasets.prepare import prepare_dataset", f"{call}{options})"
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
        "source_mb": sum(
            os.path.getsize(os.path.join(root, name))
            for root, _, names in os.walk(source)
            for name in names
        )
        / 2**20,
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
