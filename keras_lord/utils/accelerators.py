"""What an accelerator computes natively, from what its backend reports of it."""

# NVIDIA GPUs compute bfloat16 in their tensor cores from compute capability 8.0 (A100)
# on; V100 (7.0) and T4 (7.5) emulate it, more slowly than float32.
BFLOAT16_CUDA_CAPABILITY = (8, 0)


def computes_bfloat16(platform: str, capability: tuple | None = None) -> bool:
    """Whether an accelerator computes bfloat16 natively.

    Args:
        platform: `"tpu"`, `"gpu"` (or `"cuda"`), or another accelerator's platform.
        capability: a CUDA GPU's compute capability, e.g. `(8, 0)`; `None` where unknown.

    Returns:
        True for TPUs and CUDA GPUs of capability 8.0 or later; False for others, and for
        accelerators whose capability is unknown.

    Example:
    ```python
    computes_bfloat16("gpu", (7, 5))  # False: a T4
    ```

    """
    if platform == "tpu":
        return True
    if platform in ("gpu", "cuda") and capability is not None:
        return tuple(int(part) for part in capability) >= BFLOAT16_CUDA_CAPABILITY
    return False


def capability_of(text: str | None) -> tuple | None:
    """A compute capability written as `"8.0"` or `"8.6"`, as a tuple; `None` stays `None`.

    Args:
        text: the capability as JAX reports it, or `None`.

    Returns:
        `(major, minor)` or `None`.

    """
    if not text:
        return None
    major, _, minor = str(text).partition(".")
    return int(major), int(minor or 0)
