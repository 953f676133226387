"""The networks' precision: float32, mixed bfloat16, or the faster of the two here."""

import keras

from keras_lord.utils.cpu import cpu_flags, onednn_isa_admits, runs_on_cpu

# Dtype policy of the networks for each `precision`; tables and losses stay float32.
PRECISIONS = {"float32": None, "bfloat16": "mixed_bfloat16"}
# Where `precision="auto"` picks bfloat16 on a CPU: the instructions that compute in it.
NATIVE_BFLOAT16_FEATURES = ("avx512_bf16", "amx_bf16")


def native_bfloat16() -> bool:
    """Whether this machine computes keras-lord's networks faster in bfloat16.

    True on a GPU or TPU, and under TensorFlow on a CPU with AVX512-BF16 or AMX whose
    oneDNN kernels are not limited below them (`ONEDNN_MAX_CPU_ISA`): there the `small`
    step ran 1.75 - 1.8x as fast in bfloat16 (`docs/performance.md`). False elsewhere: a
    CPU without those instructions emulates bfloat16, and XLA's CPU kernels (JAX) got no
    faster in it even with them.

    Returns:
        Whether `precision="auto"` picks bfloat16.

    Example:
    ```python
    print(keras_lord.trainers.precision.native_bfloat16())
    ```

    """
    if not runs_on_cpu():
        return True
    if keras.backend.backend() != "tensorflow":
        return False
    return onednn_isa_admits("BF16", "AMX") and any(
        feature in cpu_flags() for feature in NATIVE_BFLOAT16_FEATURES
    )


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
