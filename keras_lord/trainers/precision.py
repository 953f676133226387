"""The networks' precision: float32, mixed bfloat16, or the faster of the two here."""

from keras_lord import backend
from keras_lord.utils.cpu import runs_on_cpu

# Dtype policy of the networks for each `precision`; tables and losses stay float32.
PRECISIONS = {"float32": None, "bfloat16": "mixed_bfloat16"}


def native_bfloat16() -> bool:
    """Whether this machine computes keras-lord's networks faster in bfloat16.

    True on a GPU or TPU, and on a CPU where the backend's kernels compute bfloat16
    natively (`keras_lord.backend.native_cpu_bfloat16`: under TensorFlow, a CPU with
    AVX512-BF16 or AMX whose oneDNN kernels are not limited below them). There mixed
    bfloat16 runs LORD's steps markedly faster than float32; a CPU without those
    instructions emulates bfloat16, more slowly (`docs/performance.md` has the figures).

    Returns:
        Whether `precision="auto"` picks bfloat16.

    Example:
    ```python
    print(keras_lord.trainers.precision.native_bfloat16())
    ```

    """
    return not runs_on_cpu() or backend.native_cpu_bfloat16()


def choose_precision(precision: str) -> str:
    """`precision`, or for `"auto"` the faster of float32 and bfloat16 here, said in a line.

    Args:
        precision: `"auto"`, `"float32"` or `"bfloat16"`.

    Returns:
        `"float32"` or `"bfloat16"`.

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
            "(AVX512-BF16 or AMX under TensorFlow, or a GPU), where bfloat16 would be slower"
        )
        return "float32"
    if precision not in PRECISIONS:
        raise ValueError(
            f"`precision` must be one of {['auto', *sorted(PRECISIONS)]}; got {precision!r}."
        )
    return precision
