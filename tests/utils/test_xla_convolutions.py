import os

import keras
import pytest
from conftest import json_report

from keras_lord.utils import cpu
from keras_lord.utils.cpu import (
    JAXLIB_RELEASES_WITH_YNNPACK_FLAG,
    XLA_EIGEN_CONVOLUTIONS_FLAG,
    cpu_flags,
    jaxlib_release,
)

pytest.importorskip("jax")

# Each case starts its own process, whatever the session's backend: one session runs them.
JAX_SESSION_ONLY = pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="run once, in the JAX session"
)

# argv: the order of imports, and the jaxlib version the process should believe it has
# ("" for the real one). Prints XLA_FLAGS after `import keras_lord` and the largest
# difference between a convolution XLA ran and NumPy's.
PROCESS_REPORT = """
import importlib.metadata, json, os, sys
order, pretended_jaxlib = sys.argv[1:]
if pretended_jaxlib:
    real_version = importlib.metadata.version
    importlib.metadata.version = (
        lambda name: pretended_jaxlib if name == "jaxlib" else real_version(name))
if order == "jax-first":
    import jax.numpy
    jax.numpy.ones(1).block_until_ready()
import keras_lord
flags = os.environ.get("XLA_FLAGS")
import keras
import numpy as np
rng = np.random.default_rng(0)
images = rng.normal(size=(2, 6, 6, 3)).astype("float32")
kernel = rng.normal(size=(3, 3, 3, 4)).astype("float32")
computed = keras.ops.convert_to_numpy(keras.ops.conv(images, kernel, padding="same"))
padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))
expected = sum(
    np.einsum("bhwc,co->bhwo", padded[:, dy : dy + 6, dx : dx + 6], kernel[dy, dx])
    for dy in range(3)
    for dx in range(3)
)
error = float(np.abs(computed - expected).max())
keras_lord.utils.cpu.release_xla_flags()
print(json.dumps({"flags": flags, "error": error, "released": os.environ.get("XLA_FLAGS")}))
"""


def process_report(order="keras-lord-first", jaxlib="", backend="jax", xla_flags=None):
    env = {key: value for key, value in os.environ.items() if key != "XLA_FLAGS"}
    env["KERAS_BACKEND"] = backend
    if xla_flags is not None:
        env["XLA_FLAGS"] = xla_flags
    return json_report(PROCESS_REPORT, order, jaxlib, env=env)


@JAX_SESSION_ONLY
def test_keras_lord_sends_xla_convolutions_to_eigen_before_jax_starts():
    report = process_report()
    earliest, first_unchecked = JAXLIB_RELEASES_WITH_YNNPACK_FLAG
    if "avx2" in cpu_flags() and earliest <= jaxlib_release() < first_unchecked:
        assert report["flags"] == XLA_EIGEN_CONVOLUTIONS_FLAG
    else:
        assert report["flags"] is None
    assert report["error"] < 1e-4
    # Once JAX has started, child processes no longer inherit the flag.
    assert report["released"] is None


@JAX_SESSION_ONLY
def test_other_xla_flags_are_kept_and_a_users_choice_of_convolutions_wins():
    if "avx2" in cpu_flags():
        report = process_report(xla_flags="--xla_cpu_enable_fast_math=false")
        assert report["flags"].split() == [
            "--xla_cpu_enable_fast_math=false",
            XLA_EIGEN_CONVOLUTIONS_FLAG,
        ]
        assert report["released"] == "--xla_cpu_enable_fast_math=false"
    own_choice = "--xla_cpu_experimental_ynn_fusion_type=individual_convolution"
    report = process_report(xla_flags=own_choice)
    assert report["flags"] == report["released"] == own_choice
    assert report["error"] < 1e-4


@JAX_SESSION_ONLY
@pytest.mark.parametrize(
    "case",
    [
        {"order": "jax-first"},  # XLA read its flags already
        {"backend": "tensorflow"},  # not XLA's convolutions
        {"jaxlib": "0.8.2"},  # no YNNPACK yet
        {"jaxlib": "0.11.0rc1"},  # not checked: an unknown flag would abort the process
    ],
)
def test_xla_flags_are_left_alone_where_they_would_not_help_or_not_be_read(case):
    report = process_report(**case)
    assert report["flags"] is None
    assert report["error"] < 1e-4


@pytest.mark.parametrize(
    "version, release",
    [("0.10.2", (0, 10, 2)), ("0.9.0.1", (0, 9, 0, 1)), ("0.11.0rc1", (0, 11, 0)), ("1.0", (1, 0))],
)
def test_jaxlib_release_reads_the_numeric_parts_of_the_version(monkeypatch, version, release):
    monkeypatch.setattr(cpu.importlib.metadata, "version", lambda name: version)
    assert jaxlib_release() == release


@JAX_SESSION_ONLY
def test_a_built_trainer_leaves_children_no_xla_flag(tiny_data):
    from conftest import tiny_trainer

    tiny_trainer(tiny_data)
    assert XLA_EIGEN_CONVOLUTIONS_FLAG not in os.environ.get("XLA_FLAGS", "")
