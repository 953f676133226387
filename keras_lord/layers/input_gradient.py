"""How keras-lord's convolutions compute their input gradient: the backend's way or forward.

LORD's step differentiates the frozen VGG16 of its perceptual loss with respect to the
generated image, so most of its backward pass is convolution input gradients. Where
TensorFlow runs without oneDNN (by default on CPUs without AVX512-VNNI, AVX512-BF16,
AVX-VNNI or AMX, such as AVX2-only ones), its `Conv2DBackpropInput` kernel is several times
slower than the same sums computed as a forward convolution of the flipped kernel.

`"timed"` times both ways once per convolution shape on this machine, as cuDNN's autotuner
does, and keeps the faster; the choices are stored per machine
(`keras_lord.utils.tuning_cache`), so later processes reuse them without timing.
"""

import keras
from keras import ops

from keras_lord import backend
from keras_lord.utils.choice_setting import ChoiceSetting
from keras_lord.utils.tuning_cache import TuningCache

INPUT_GRADIENTS = ("auto", "native", "forward", "timed")
# Read when no choice was made in code, e.g. to fix it for a whole command line run.
ENVIRONMENT_VARIABLE = "KERAS_LORD_INPUT_GRADIENT"
# The batch a shape is timed at when the traced batch size is unknown (`None`).
TIMING_BATCH = 32
_setting = ChoiceSetting("convolution input gradient", INPUT_GRADIENTS, ENVIRONMENT_VARIABLE)
timed_choices = TuningCache("input_gradients")


def set_input_gradient(choice: str | None) -> None:
    """Chooses how keras-lord's stride-1 convolutions compute their input gradient.

    The choice applies to convolutions traced after the call: a step already traced
    (e.g. by an earlier `fit` of the same model) keeps the gradient it was traced with.

    Args:
        choice: `"auto"` (the default): forward convolutions where the backend's own input
            gradient is the slow one (TensorFlow on a CPU without oneDNN), the backend's
            elsewhere; `"native"`: always the backend's; `"forward"`: always forward
            convolutions; `"timed"`: whichever of the two was faster when this shape of
            convolution was timed on this machine (timed at its first trace, then read
            from the per-machine cache). `None` goes back to the
            `KERAS_LORD_INPUT_GRADIENT` environment variable, or `"auto"` where it is
            unset.

    Raises:
        ValueError: for any other value.

    Example:
    ```python
    keras_lord.layers.set_input_gradient("native")
    ```

    """
    _setting.set(choice)


def input_gradient() -> str:
    """The input gradient keras-lord's convolutions use now, with `"auto"` resolved.

    Returns:
        `"native"`, `"forward"`, or `"timed"` (chosen per shape by
        `timed_input_gradient`).

    Raises:
        ValueError: if `KERAS_LORD_INPUT_GRADIENT` holds an unknown value.

    Example:
    ```python
    print(keras_lord.layers.input_gradient())  # "native" on a CPU with oneDNN
    ```

    """
    choice = _setting.value()
    if choice == "auto":
        return "forward" if backend.native_input_gradient_is_slow() else "native"
    return choice


def stride1_convolution(inputs, kernel, padding: str):
    """`keras.ops.conv` with unit strides, its input gradient computed as `input_gradient()`.

    Args:
        inputs: `(batch, height, width, in)`, channels last.
        kernel: `(kernel_height, kernel_width, in, out)`.
        padding: `"same"` or `"valid"`.

    Returns:
        The convolution, without bias or activation.

    Example:
    ```python
    outputs = stride1_convolution(np.ones((2, 8, 8, 4)), np.ones((3, 3, 4, 5)), "same")
    ```

    """
    choice = input_gradient()
    if choice == "timed":
        choice = timed_input_gradient(
            tuple(inputs.shape),
            tuple(kernel.shape),
            padding,
            keras.backend.standardize_dtype(inputs.dtype),
        )
    if choice == "forward":
        return backend.forward_gradient_convolution(inputs, kernel, padding)
    return ops.conv(inputs, kernel, padding=padding)


def timed_input_gradient(input_shape: tuple, kernel_shape: tuple, padding: str, dtype: str) -> str:
    """The faster input gradient for one convolution shape on this machine.

    The first call for a shape times both ways (`backend.time_input_gradients`: forward
    and input gradient, best of 3, at `TIMING_BATCH` images where the batch size is not
    known) and stores both times and the choice in the per-machine cache; later calls, in
    this process or another on the same machine and settings, read it from there.

    Args:
        input_shape: `(batch, height, width, in)`; `batch` may be `None`.
        kernel_shape: `(kernel_height, kernel_width, in, out)`.
        padding: `"same"` or `"valid"`.
        dtype: the compute dtype, e.g. `"float32"` or `"bfloat16"`.

    Returns:
        `"native"` or `"forward"`. Where the backend has one way (JAX) or the shape is
        not fully known, the `"auto"` rule's answer, without timing.

    Example:
    ```python
    choice = timed_input_gradient((None, 16, 16, 64), (3, 3, 64, 64), "same", "float32")
    ```

    """
    batch, *rest = input_shape
    if any(size is None for size in rest):
        return "forward" if backend.native_input_gradient_is_slow() else "native"
    timed_shape = (batch or TIMING_BATCH, *rest)
    key = f"{padding}:{dtype}:{timed_shape}:{tuple(kernel_shape)}"
    choice = timed_choices.faster(
        key, lambda: backend.time_input_gradients(timed_shape, kernel_shape, padding, dtype)
    )
    return choice or "native"
