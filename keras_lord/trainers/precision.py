"""The networks' precision: float32, mixed bfloat16 or float16, or the faster here."""

from keras_lord import backend
from keras_lord.utils.cpu import runs_on_cpu

# Dtype policy of the networks for each `precision`; tables and losses stay float32.
# float16 scales the loss (`keras_lord.optimizers.loss_scaling`): for GPUs whose tensor cores
# compute float16 but not bfloat16 (V100, T4); `"auto"` does not pick it.
PRECISIONS = {"float32": None, "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}


def native_bfloat16() -> bool:
    """Whether this machine computes keras-lord's networks faster in bfloat16.

    True on a TPU or a GPU that computes bfloat16 in its tensor cores (NVIDIA compute
    capability 8.0 or later: `keras_lord.backend.accelerator_bfloat16`; not a V100 or a
    T4), and on a CPU where the backend's kernels compute bfloat16 natively
    (`keras_lord.backend.native_cpu_bfloat16`: under TensorFlow, a CPU with AVX512-BF16
    or AMX whose oneDNN kernels are not limited below them). There mixed bfloat16 runs
    LORD's steps markedly faster than float32; elsewhere it is emulated, more slowly
    (`docs/performance.md` has the CPU figures).

    Returns:
        Whether `precision="auto"` picks bfloat16.

    Example:
    ```python
    print(keras_lord.trainers.precision.native_bfloat16())
    ```

    """
    if runs_on_cpu():
        return backend.native_cpu_bfloat16()
    # An accelerator the backend cannot describe gets the float32 it surely computes.
    return bool(backend.accelerator_bfloat16())


def choose_precision(precision: str) -> str:
    """`precision`, or for `"auto"` the faster of float32 and bfloat16 here, said in a line.

    Args:
        precision: `"auto"`, `"float32"`, `"bfloat16"` or `"float16"`.

    Returns:
        `"float32"`, `"bfloat16"` or `"float16"` (which `"auto"` never returns).

    Raises:
        ValueError: for any other value.

    Example:
    ```python
    precision = choose_precision("auto")  # prints which it chose, and why
    ```

    """
    if precision == "auto":
        if native_bfloat16():
            print("keras-lord: precision bfloat16 (mixed): this machine computes in it natively")
            return "bfloat16"
        print(
            "keras-lord: precision float32: this machine has no native bfloat16 "
            "(AVX512-BF16 or AMX under TensorFlow, a GPU of compute capability 8.0 or "
            "later, or a TPU), where bfloat16 would be slower"
        )
        return "float32"
    if precision not in PRECISIONS:
        raise ValueError(
            f"`precision` must be one of {['auto', *sorted(PRECISIONS)]}; got {precision!r}."
        )
    return precision
