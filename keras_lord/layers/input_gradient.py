"""How keras-lord's convolutions compute their input gradient: the backend's way or forward.

LORD's step differentiates the frozen VGG16 of its perceptual loss with respect to the
generated image, so most of its backward pass is convolution input gradients. Where
TensorFlow runs without oneDNN (by default on CPUs without AVX512-VNNI, AVX512-BF16,
AVX-VNNI or AMX, such as AVX2-only ones), its `Conv2DBackpropInput` kernel is several times
slower than the same sums computed as a forward convolution of the flipped kernel.
"""

import os

from keras import ops

from keras_lord import backend

INPUT_GRADIENTS = ("auto", "native", "forward")
# Read when no choice was made in code, e.g. to fix it for a whole command line run.
ENVIRONMENT_VARIABLE = "KERAS_LORD_INPUT_GRADIENT"
_chosen = {"input_gradient": None}


def _checked(choice: str) -> str:
    if choice not in INPUT_GRADIENTS:
        raise ValueError(
            f"The convolution input gradient must be one of {INPUT_GRADIENTS}; got {choice!r}."
        )
    return choice


def set_input_gradient(choice: str | None) -> None:
    """Chooses how keras-lord's stride-1 convolutions compute their input gradient.

    The choice applies to convolutions traced after the call: a step already traced
    (e.g. by an earlier `fit` of the same model) keeps the gradient it was traced with.

    Args:
        choice: `"auto"` (the default): forward convolutions where the backend's own input
            gradient is the slow one (TensorFlow on a CPU without oneDNN), the backend's
            elsewhere; `"native"`: always the backend's; `"forward"`: always forward
            convolutions. `None` goes back to the `KERAS_LORD_INPUT_GRADIENT` environment
            variable, or `"auto"` where it is unset.

    Raises:
        ValueError: for any other value.

    Example:
    ```python
    keras_lord.layers.set_input_gradient("native")
    ```

    """
    _chosen["input_gradient"] = None if choice is None else _checked(choice)


def input_gradient() -> str:
    """The input gradient keras-lord's convolutions use now, with `"auto"` resolved.

    Returns:
        `"native"` or `"forward"`.

    Raises:
        ValueError: if `KERAS_LORD_INPUT_GRADIENT` holds an unknown value.

    Example:
    ```python
    print(keras_lord.layers.input_gradient())  # "native" on a CPU with oneDNN
    ```

    """
    choice = _chosen["input_gradient"]
    if choice is None:
        choice = _checked(os.environ.get(ENVIRONMENT_VARIABLE, "auto"))
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
    if input_gradient() == "forward":
        return backend.forward_gradient_convolution(inputs, kernel, padding)
    return ops.conv(inputs, kernel, padding=padding)
