"""Argument checks shared by layers, trainers and tools: one message for one mistake."""

import math
import numbers


def positive_integer(name: str, value) -> int:
    """The integer `value` of an argument that must be a positive whole number.

    Args:
        name: the argument's name, for the error.
        value: its value: an `int`, or a float or NumPy number with a whole value.

    Returns:
        `int(value)`.

    Raises:
        ValueError: if `value` is not a positive whole number (`2.5`, `inf`, `nan`, `True`,
            a string, `0` and `-1` all are refused).

    Example:
    ```python
    positive_integer("styles_per_class", 3.0)  # 3
    ```

    """
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (number and math.isfinite(value) and value >= 1 and int(value) == value):
        raise ValueError(f"`{name}` must be a positive integer; got {value!r}.")
    return int(value)
