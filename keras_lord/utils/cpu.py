"""What the CPU can do, read once from `/proc/cpuinfo`."""

import functools


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
