"""What the CPU can do, read once from `/proc/cpuinfo`, and the kernels chosen from it."""

import functools
import os
import sys


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


def prefer_tensorflow_onednn() -> bool:
    """Turns TensorFlow's oneDNN CPU kernels on where TensorFlow would leave them off.

    On Linux, TensorFlow turns oneDNN on by default only on CPUs with AVX512-VNNI,
    AVX512-BF16, AVX-VNNI or AMX; elsewhere it runs Eigen's kernels, whose convolution
    gradients are slow. On an x86 CPU restricted to AVX2, LORD's `small` step ran 1.66x as
    fast with oneDNN on (`docs/performance.md`). This sets `TF_ENABLE_ONEDNN_OPTS=1`,
    which TensorFlow reads once, when it is imported; `import keras_lord` calls it first.

    Returns:
        Whether the variable was set: not when it is set already (set it to `0` to keep
        Eigen's kernels), when TensorFlow was imported before, or on a CPU without AVX2.

    Example:
    ```python
    import keras_lord  # before TensorFlow: the kernels are chosen at its import
    ```

    """
    if "TF_ENABLE_ONEDNN_OPTS" in os.environ or "tensorflow" in sys.modules:
        return False
    if "avx2" not in cpu_flags():
        return False
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1"
    return True
