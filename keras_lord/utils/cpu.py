"""What the CPU can do, read once from `/proc/cpuinfo`, and the kernels chosen from it."""

import functools
import importlib.metadata
import os
import re
import sys
import warnings

# Sends XLA's CPU convolutions to Eigen's kernels rather than YNNPACK's.
XLA_EIGEN_CONVOLUTIONS_FLAG = "--xla_cpu_experimental_ynn_fusion_type=-individual_convolution"
# The jaxlib releases whose XLA knows that flag, which came with YNNPACK in 0.8.3: an unknown
# flag in XLA_FLAGS aborts the process, so releases not checked are left alone.
JAXLIB_RELEASES_WITH_YNNPACK_FLAG = ((0, 8, 3), (0, 11, 0))
# The flags keras-lord put into XLA_FLAGS, until `release_xla_flags` takes them out.
_ADDED_XLA_FLAGS = []
# The instructions that compute in bfloat16 natively, where `precision="auto"` may pick it.
NATIVE_BFLOAT16_FEATURES = ("avx512_bf16", "amx_bf16")


@functools.cache
def cpu_flags() -> frozenset:
    """The CPU's feature flags (e.g. `avx2`, `avx512f`, `avx512_bf16`, `amx_bf16`).

    Returns:
        The flags of the first CPU listed in `/proc/cpuinfo`; empty where that file does not
        exist (macOS, Windows) or cannot be read.

    Example:
    ```python
    native_bf16 = "avx512_bf16" in keras_lord.utils.cpu.cpu_flags()
    ```

    """
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def runs_on_cpu() -> bool:
    """Whether the Keras backend computes on the CPU here (no GPU or TPU it would use).

    Returns:
        True when Keras' default devices (`keras.distribution.list_devices()`, which lists
        accelerators where there are any) are CPUs.

    Example:
    ```python
    if keras_lord.utils.cpu.runs_on_cpu():
        print(sorted(keras_lord.utils.cpu.cpu_flags()))
    ```

    """
    import keras

    return all(device.lower().startswith("cpu") for device in keras.distribution.list_devices())


def onednn_isa_admits(*markers: str) -> bool:
    """Whether `ONEDNN_MAX_CPU_ISA`, where set, lets oneDNN use the instructions named.

    Args:
        *markers: parts of oneDNN's ISA names, e.g. `"512"` (the AVX-512 levels) or
            `"BF16"`, `"AMX"`.

    Returns:
        True where the variable is unset or `ALL`/`DEFAULT`, or names a level containing
        one of `markers` (oneDNN's levels include those below them).

    Example:
    ```python
    avx512_kernels = "avx512f" in cpu_flags() and onednn_isa_admits("512", "AMX")
    ```

    """
    limit = os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper()
    return limit in ("", "ALL", "DEFAULT") or any(marker in limit for marker in markers)


# The CPU features for which TensorFlow turns oneDNN on by default on Linux.
ONEDNN_DEFAULT_FEATURES = ("avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8")


def onednn_enabled() -> bool:
    """Whether TensorFlow runs its CPU kernels through oneDNN in this process.

    Returns:
        TensorFlow's own answer; where its private hook has moved, the same rule worked
        out from `TF_ENABLE_ONEDNN_OPTS` and the CPU's features.

    Example:
    ```python
    import tensorflow
    print("oneDNN" if keras_lord.utils.cpu.onednn_enabled() else "Eigen")
    ```

    """
    try:
        from tensorflow.python.util import _pywrap_util_port

        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        setting = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip().lower()
        if setting in ("0", "false", "1", "true"):
            return setting in ("1", "true")
        return any(feature in cpu_flags() for feature in ONEDNN_DEFAULT_FEATURES)


def prefer_tensorflow_onednn() -> bool:
    """Turns TensorFlow's oneDNN CPU kernels on where TensorFlow would leave them off.

    On Linux, TensorFlow turns oneDNN on by default only on CPUs with AVX512-VNNI,
    AVX512-BF16, AVX-VNNI or AMX; elsewhere it runs Eigen's kernels, whose convolution
    gradients are slow, so that on x86 CPUs limited to AVX2 LORD's steps run markedly
    faster with oneDNN on (`docs/performance.md`). This sets `TF_ENABLE_ONEDNN_OPTS=1`,
    which TensorFlow reads once, when it is imported; `import keras_lord` calls it first.

    Where TensorFlow was imported before (`import keras` first, under the TensorFlow
    backend, imports it) and left oneDNN off on such a CPU, it is too late: this warns,
    since LORD's steps then take longer.

    Returns:
        Whether the variable was set: not when it is set already (set it to `0` to keep
        Eigen's kernels), when TensorFlow was imported before, or on a CPU without AVX2.

    Example:
    ```python
    import keras_lord  # before keras and TensorFlow: the kernels are chosen at its import
    import keras
    ```

    """
    if "TF_ENABLE_ONEDNN_OPTS" in os.environ or "avx2" not in cpu_flags():
        return False
    if "tensorflow" in sys.modules:
        if not onednn_enabled():
            warnings.warn(
                "TensorFlow was imported before keras_lord and runs without its oneDNN "
                "kernels on this CPU (AVX2 without AVX512-VNNI, AVX512-BF16, AVX-VNNI or "
                "AMX), so LORD's training steps are slower. Import keras_lord "
                "before keras and tensorflow, or set TF_ENABLE_ONEDNN_OPTS=1 before Python "
                "starts (TF_ENABLE_ONEDNN_OPTS=0 keeps Eigen's kernels without this warning).",
                stacklevel=_stacklevel_outside_keras_lord(),
            )
        return False
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1"
    return True


def _stacklevel_outside_keras_lord() -> int:
    """The `stacklevel` that points a warning of its caller at the code importing keras-lord.

    The warning is given while `keras_lord/__init__.py` runs, so the line to show is the
    user's `import` above it. `warnings` steps over importlib's frames by itself; keras-lord's
    own frames are counted here.
    """
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    level = 1
    frame = sys._getframe(1)  # the function that warns
    while frame is not None:
        filename = frame.f_code.co_filename
        if not ("importlib" in filename and "_bootstrap" in filename):
            if not filename.startswith(package):
                break
            level += 1
        frame = frame.f_back
    return level


def jaxlib_release() -> tuple:
    """The installed jaxlib's release as a tuple of integers, e.g. `(0, 10, 2)`.

    Returns:
        The leading numeric parts of its version, read from the package metadata without
        importing it; `()` where jaxlib is not installed.

    Example:
    ```python
    if keras_lord.utils.cpu.jaxlib_release() >= (0, 8, 3):
        print("XLA's CPU convolutions may run on YNNPACK")
    ```

    """
    try:
        version = importlib.metadata.version("jaxlib")
    except importlib.metadata.PackageNotFoundError:
        return ()
    return tuple(int(part) for part in re.match(r"\d+(?:\.\d+)*", version).group().split("."))


def prefer_xla_eigen_convolutions() -> bool:
    """Sends XLA's CPU convolutions to Eigen's kernels under the JAX backend.

    From jaxlib 0.8.3 on, XLA runs convolutions on CPUs through YNNPACK. On x86 CPUs LORD's
    stage-1 step ran faster with Eigen's kernels, most of all on CPUs that offer only AVX2
    (`docs/performance.md`). This appends `XLA_EIGEN_CONVOLUTIONS_FLAG` to `XLA_FLAGS`,
    which XLA reads once, when JAX starts its first backend; `import keras_lord` calls it
    first, and `release_xla_flags` takes it out again once JAX has started.

    Returns:
        Whether the flag was added: not when jaxlib's XLA does not compile the networks'
        convolutions (`keras_lord.backend.jaxlib_compiles_convolutions`), on a CPU without
        AVX2 (ARM CPUs were not measured), when `XLA_FLAGS` already sets
        `xla_cpu_experimental_ynn_fusion_type` (set it to `individual_convolution` to keep
        YNNPACK's convolutions), when jaxlib is outside `JAXLIB_RELEASES_WITH_YNNPACK_FLAG`,
        or when JAX has started already.

    Example:
    ```python
    import keras_lord  # before the first JAX computation: XLA reads its flags then
    ```

    """
    # Imported here: `keras_lord.backend` imports this module, and it imports Keras, which
    # `prefer_tensorflow_onednn` must run before.
    from keras_lord import backend

    if not backend.jaxlib_compiles_convolutions() or "avx2" not in cpu_flags():
        return False
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_experimental_ynn_fusion_type" in flags:
        return False
    earliest, first_unchecked = JAXLIB_RELEASES_WITH_YNNPACK_FLAG
    if not earliest <= jaxlib_release() < first_unchecked:
        return False
    from jax._src import xla_bridge

    # Where jaxlib's private API moved, JAX may have started: leave its flags alone.
    if getattr(xla_bridge, "backends_are_initialized", lambda: True)():
        return False
    os.environ["XLA_FLAGS"] = f"{flags} {XLA_EIGEN_CONVOLUTIONS_FLAG}".strip()
    _ADDED_XLA_FLAGS.append(XLA_EIGEN_CONVOLUTIONS_FLAG)
    return True


def release_xla_flags() -> bool:
    """Takes the flag `prefer_xla_eigen_convolutions` added back out of `XLA_FLAGS`.

    Once JAX has started, XLA has read its flags for good; left in the environment, the
    flag would pass to every child process, whatever its backend, device or jaxlib (and an
    XLA that does not know it aborts). `LordTrainer` calls this once it is built, when JAX
    has started.

    Returns:
        Whether the flag was taken out: not before JAX has started, nor when keras-lord
        added none.

    Example:
    ```python
    keras_lord.utils.cpu.release_xla_flags()
    ```

    """
    if not _ADDED_XLA_FLAGS:
        return False
    from jax._src import xla_bridge

    if not getattr(xla_bridge, "backends_are_initialized", lambda: False)():
        return False
    remaining = [
        flag for flag in os.environ.get("XLA_FLAGS", "").split() if flag not in _ADDED_XLA_FLAGS
    ]
    _ADDED_XLA_FLAGS.clear()
    if remaining:
        os.environ["XLA_FLAGS"] = " ".join(remaining)
    else:
        os.environ.pop("XLA_FLAGS", None)
    return True
