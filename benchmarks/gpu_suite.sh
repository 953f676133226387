#!/usr/bin/env bash
# The GPU figures of docs/performance.md in one call: paper preset, stage 1, bf16 and fp32,
# keras-lord's throughput and FLOP/s against the measured matmul peak, and keras-lord's
# LordTrainer.fit against the reference step in PyTorch on the same GPU.
#
# Runs on a machine with an NVIDIA GPU, a python3 with JAX (CUDA build) and PyTorch (CUDA
# build), and keras >= 3.15 with its pure-Python needs. Where keras is missing (a GPU
# machine with no package index), put its wheels into .whl/ first, on a machine with pip:
#
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#       --implementation cp --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
#       -d .whl keras==3.15.1 namex==0.1.0 optree==0.20.0
#
# TensorFlow's CUDA build is too large to carry that way; the TensorFlow backend is measured
# where it is installed (KERAS_BACKENDS="jax tensorflow").
#
# Usage: OUT=results/ bash benchmarks/gpu_suite.sh
# Writes one JSON file per measurement into $OUT, all of them together (with the date and
# the GPUs) into $OUT/gpu_suite.json, and prints a summary last. With several GPUs it also
# times one step of the same global batch on 1, 2, 4, ... of them. A dry run on a
# CPU: PRESET=small DEVICE=cpu ROUNDS=1 STEPS=2 PEAK_SIZE=1024 bash benchmarks/gpu_suite.sh
set -euo pipefail
OUT=${OUT:-outputs/gpu_suite}
PRESET=${PRESET:-paper}
DEVICE=${DEVICE:-cuda}
ROUNDS=${ROUNDS:-5}
STEPS=${STEPS:-10}
PEAK_SIZE=${PEAK_SIZE:-8192}
mkdir -p "$OUT"
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/keras_lord_site .whl/*.whl
    export PYTHONPATH=/tmp/keras_lord_site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}
# Two processes share the GPU in versus_reference.py: JAX must not take 75 % of it up front.
export XLA_PYTHON_CLIENT_PREALLOCATE=false
export PYTHONUNBUFFERED=1

if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv \
        | tee "$OUT/gpu.csv"
fi
for backend in ${KERAS_BACKENDS:-jax}; do
    export KERAS_BACKEND=$backend
    python3 benchmarks/throughput.py --preset "$PRESET" --vgg-weights random \
        --precision bfloat16 --compare precision=float32 --steps "$((2 * STEPS))" \
        --peak-size "$PEAK_SIZE" >"$OUT/${backend}_${PRESET}_throughput.json"
    for precision in bfloat16 float32; do
        python3 benchmarks/versus_reference.py --preset "$PRESET" --device "$DEVICE" --fit \
            --vgg-weights random --precision "$precision" --rounds "$ROUNDS" \
            --steps-per-round "$STEPS" >"$OUT/${backend}_versus_reference_${precision}.json"
    done
done
# Several GPUs: one step of the same global batch on 1, 2, 4, ... of them (JAX).
gpus=$(nvidia-smi -L 2>/dev/null | wc -l || true)
if [ "${gpus:-0}" -gt 1 ]; then
    counts=$(python3 -c "n = $gpus; print(','.join(str(2**k) for k in range(1, 8) if 2**k <= n))")
    KERAS_BACKEND=jax python3 benchmarks/distributed_step.py --devices "$gpus" --sizes 64 \
        --counts "$counts" --overhead-batch 256 --out "$OUT/jax_distributed_step.json" \
        >"$OUT/jax_distributed_step.log"
fi
# Every figure in one file, then a summary.
python3 - "$OUT" <<'EOF'
import json, pathlib, sys, time

out = pathlib.Path(sys.argv[1])
results = {
    path.stem: json.loads(path.read_text())
    for path in sorted(out.glob("*.json"))
    if path.name != "gpu_suite.json"
}
gpus = out / "gpu.csv"
(out / "gpu_suite.json").write_text(
    json.dumps(
        {
            "date": time.strftime("%Y-%m-%d"),
            "gpus": gpus.read_text().splitlines()[1:] if gpus.exists() else [],
            "results": results,
        },
        indent=2,
    )
)
for stem, result in results.items():
    path = pathlib.Path(stem)
    if "overhead" in result:
        for entry in result["overhead"]:
            print(f"{path.stem:36s} {entry['distribution']:6s} on {entry['devices']} devices: "
                  f"{entry['steps_per_second']:.2f} steps/s")
    elif "configurations" in result:
        for name, entry in result["configurations"].items():
            print(f"{path.stem:36s} {entry['precision']:9s} {entry['images_per_second']:8.1f} img/s "
                  f"{entry['executed_gflop_per_second'] / 1000:7.1f} TFLOP/s "
                  f"{entry['fraction_of_matmul_peak']:.3f} of peak")
    else:
        print(f"{path.stem:36s} keras-lord {result['keras_lord']['images_per_second']:8.1f} img/s, "
              f"reference {result['reference']['images_per_second']:8.1f}: "
              f"{result['speedup_over_reference']:.2f}x")
EOF
