"""Peak memory of `keras-lord prepare folder` on large images, for source trees side by side.

    git worktree add /tmp/before <commit>
    python benchmarks/prepare_memory.py /tmp/before . --images 60 --side 2048 --size 64

Writes `--images` PNGs of `--side` pixels a side into class folders, then prepares them at
`--size` with each tree's `keras_lord` first on the path, each in its own process, and the
same process once more with the import alone. Prints the CPU flags and JSON with each
tree's peak resident memory, the import's, their difference (what preparing cost) and the
wall time.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from compare_checkouts import ENVIRONMENT, cpu_flags
from PIL import Image

# The peak is the process's own high-water mark (`VmHWM`, in kB): `ru_maxrss` would carry
# the parent's from before the fork.
CHILD = """
import sys, time
start = time.perf_counter()
from keras_lord.datasets.prepare import prepare_dataset
if sys.argv[1] == "prepare":
    prepare_dataset("folder", sys.argv[2], sys.argv[3], size=int(sys.argv[4]), verbose=False)
peak = [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
print(peak.split()[1], time.perf_counter() - start)
"""


def write_images(folder, count, side, classes=3):
    y, x = np.mgrid[0:side, 0:side]
    for index in range(count):
        path = os.path.join(folder, f"class{index % classes}", f"{index}.png")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        pixels = np.stack([(x + 7 * index) % 256, y % 256, ((x + y) // 8) % 256], -1)
        Image.fromarray(pixels.astype("uint8")).save(path, compress_level=1)


def measure(tree, what, photos, out, size):
    environment = dict(ENVIRONMENT, PYTHONPATH=os.path.abspath(tree))
    result = subprocess.run(
        [sys.executable, "-c", CHILD, what, photos, out, str(size)],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    kilobytes, seconds = result.stdout.split()
    return int(kilobytes) / 1024, float(seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", help="source trees (folders holding keras_lord/)")
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--side", type=int, default=2048)
    parser.add_argument("--size", type=int, default=64)
    arguments = parser.parse_args()
    print("CPU flags:", " ".join(cpu_flags()))
    report = {
        "date": datetime.date.today().isoformat(),
        "cpu_flags": cpu_flags(),
        "images": arguments.images,
        "side": arguments.side,
        "size": arguments.size,
        "trees": {},
    }
    with tempfile.TemporaryDirectory() as folder:
        photos = os.path.join(folder, "photos")
        write_images(photos, arguments.images, arguments.side)
        for index, tree in enumerate(arguments.trees):
            out = os.path.join(folder, f"out{index}")
            peak, seconds = measure(tree, "prepare", photos, out, arguments.size)
            imported, _ = measure(tree, "import", photos, out, arguments.size)
            report["trees"][tree] = {
                "peak_mib": round(peak),
                "import_mib": round(imported),
                "preparing_mib": round(peak - imported),
                "seconds": round(seconds, 1),
            }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
