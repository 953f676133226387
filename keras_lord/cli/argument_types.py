"""The argparse types the `keras-lord` sub-commands share, and their usage error."""

import argparse
import math


class UsageError(Exception):
    """A combination of arguments the parser cannot check by itself.

    A command's `run` raises it before it does anything; `main` reports it as argparse
    reports its own errors (usage line, status 2).
    """


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1.

    Args:
        text: the argument.

    Returns:
        The integer.

    Raises:
        argparse.ArgumentTypeError: for anything else.

    Example:
    ```python
    parser.add_argument("--epochs", type=positive_int, default=200)
    ```

    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number above 0.

    Args:
        text: the argument.

    Returns:
        The number.

    Raises:
        argparse.ArgumentTypeError: for anything else.

    Example:
    ```python
    parser.add_argument("--latent-lr", type=positive_float, default=3e-3)
    ```

    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return value


def rate_or_auto(text: str) -> float | str:
    """An argparse type: `"auto"` or a finite number above 0 (a learning rate).

    Args:
        text: the argument.

    Returns:
        `"auto"` or the number.

    Raises:
        argparse.ArgumentTypeError: for anything else.

    Example:
    ```python
    parser.add_argument("--latent-lr", type=rate_or_auto, default="auto")
    ```

    """
    if text == "auto":
        return text
    try:
        return positive_float(text)
    except argparse.ArgumentTypeError as error:
        raise argparse.ArgumentTypeError(f"{error} or 'auto'") from None


def non_negative(kind: type):
    """An argparse type: a finite `kind` (`int` or `float`) of at least 0.

    Args:
        kind: the type the argument is read as.

    Returns:
        The parsing function.

    Example:
    ```python
    parser.add_argument("--encoder-shift", type=non_negative(int))
    ```

    """

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a {kind.__name__} >= 0, got {text!r}"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
        return value

    return parse


def share(text: str) -> float:
    """An argparse type: a number strictly between 0 and 1.

    Args:
        text: the argument.

    Returns:
        The number.

    Raises:
        argparse.ArgumentTypeError: for anything else.

    Example:
    ```python
    parser.add_argument("--held-out-share", type=share)
    ```

    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text}")
    return value


def vgg16_layers(text: str) -> tuple:
    """An argparse type: comma-separated VGG16 layer names.

    Args:
        text: the argument, e.g. `"block1_conv2,block2_conv2"`.

    Returns:
        The names.

    Raises:
        argparse.ArgumentTypeError: for no names or names VGG16 does not have (see
            `keras_lord.backbones.vgg16.check_vgg16_layers`).

    Example:
    ```python
    parser.add_argument("--perceptual-layers", type=vgg16_layers)
    ```

    """
    from keras_lord.backbones.vgg16 import check_vgg16_layers

    try:
        return check_vgg16_layers(name.strip() for name in text.split(",") if name.strip())
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def host_and_port(text: str) -> str:
    """An argparse type: `HOST:PORT`, the address of a process (e.g. `10.0.0.1:1234`).

    Args:
        text: the argument.

    Returns:
        The address as given.

    Raises:
        argparse.ArgumentTypeError: without a host, or with a port that is not a whole
            number in [1, 65535].

    Example:
    ```python
    parser.add_argument("--coordinator", type=host_and_port)
    ```

    """
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(
            f"expected HOST:PORT with a port in [1, 65535] (e.g. node001:1234), got {text!r}"
        )
    return text
