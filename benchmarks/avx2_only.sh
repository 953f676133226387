#!/usr/bin/env bash
# Runs a command as if on an AVX2-only AMD EPYC (Zen 3), on a newer x86 CPU with AVX-512.
#
# Every library in the process (oneDNN in TensorFlow and PyTorch, PyTorch's own kernels,
# XLA's code generator, YNNPACK and XNNPACK in jaxlib, TensorFlow's choice of oneDNN,
# keras-lord's reading of /proc/cpuinfo) sees a CPU without AVX-512, AVX-VNNI, GFNI or AMX,
# through avx2_only/avx2_only.c (CPUID made to fault and answered with those bits cleared).
# Needs gcc and a CPU and kernel with the cpuid_fault flag. The machine's clock, caches and
# memory stay its own, so compare ratios taken in one run, not raw speeds across machines.
#
# Usage: bash benchmarks/avx2_only.sh python benchmarks/versus_reference.py --fit ...
#        bash benchmarks/avx2_only.sh --check    (prints what the process sees)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_file="$here/avx2_only/avx2_only.c"
library="${XDG_CACHE_HOME:-$HOME/.cache}/keras_lord/avx2_only.so"

if ! grep -qw cpuid_fault /proc/cpuinfo; then
    echo "avx2_only.sh: this CPU or kernel has no cpuid_fault flag, so CPUID cannot be" \
        "masked; use ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2" \
        "XLA_FLAGS=--xla_cpu_max_isa=AVX2 instead (docs/performance.md)." >&2
    exit 2
fi
if [[ ! -f "$library" || "$source_file" -nt "$library" ]]; then
    mkdir -p "$(dirname "$library")"
    gcc -O2 -Wall -shared -fPIC -o "$library.partial" "$source_file" -ldl
    mv "$library.partial" "$library"
fi

# glibc picks its string functions before the library loads; its own switch turns
# AVX-512 off for them.
export GLIBC_TUNABLES="glibc.cpu.hwcaps=-AVX512F,-AVX512CD,-AVX512BW,-AVX512DQ,-AVX512VL${GLIBC_TUNABLES:+:$GLIBC_TUNABLES}"
export LD_PRELOAD="$library${LD_PRELOAD:+:$LD_PRELOAD}"

if [[ "${1:-}" == "--check" ]]; then
    exec python - <<'EOF'
import re

flags = re.search(r"^flags\s*:(.*)$", open("/proc/cpuinfo").read(), re.M).group(1).split()
print("/proc/cpuinfo flags with avx:", " ".join(f for f in flags if "avx" in f))
try:
    import torch

    print("PyTorch's CPU capability:", torch.backends.cpu.get_cpu_capability())
except ImportError:
    pass
EOF
fi
exec "$@"
