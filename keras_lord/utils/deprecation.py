"""Names that moved, kept importable from their old places with a `DeprecationWarning`."""

import importlib
import warnings


def moved_names(module_name: str, moves: dict):
    """A module `__getattr__` that serves names moved elsewhere, with a warning.

    Args:
        module_name: the old module's `__name__`, for messages.
        moves: `{old name: (new module, new name)}`; the value served is the new one's.

    Returns:
        The function to assign to the old module's `__getattr__`.

    Example:
    ```python
    __getattr__ = moved_names(__name__, {"class_means": ("keras_lord.x", "class_means")})
    ```

    """

    def __getattr__(name):
        if name not in moves:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        new_module, new_name = moves[name]
        warnings.warn(
            f"`{module_name}.{name}` is deprecated: use `{new_module}.{new_name}`.",
            DeprecationWarning,
            stacklevel=2,
        )
        value = getattr(importlib.import_module(new_module), new_name)
        # Old names that were tuples of choices stay tuples of the registered names.
        return tuple(value) if hasattr(value, "names") else value

    return __getattr__
