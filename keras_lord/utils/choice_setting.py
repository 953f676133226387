"""A process-wide choice among named options, made in code or by an environment variable."""

import os


class ChoiceSetting:
    """One of a fixed set of options, set in code, else read from an environment variable.

    keras-lord's kernel choices (`keras_lord.layers.set_input_gradient`,
    `keras_lord.layers.set_blocked_convolution`) are settings of this kind: a call in code
    wins; without one, the environment variable fixes the choice for a whole command-line
    run; without that, the default.

    Args:
        description: what is chosen, for error messages, e.g. `"convolution input gradient"`.
        options: the allowed values.
        environment_variable: read when no choice was made in code.
        default: the value where neither is set; one of `options`.

    Example:
    ```python
    setting = ChoiceSetting("kernel", ("auto", "fast"), "MY_KERNEL")
    setting.set("fast")
    assert setting.value() == "fast"
    ```

    """

    def __init__(
        self, description: str, options: tuple, environment_variable: str, default: str = "auto"
    ):
        self.description = description
        self.options = tuple(options)
        self.environment_variable = environment_variable
        self.default = self.checked(default)
        self._chosen = None

    def checked(self, choice: str) -> str:
        """`choice` if it is one of the options.

        Args:
            choice: a proposed value.

        Returns:
            `choice`.

        Raises:
            ValueError: naming the options, if it is not one of them.

        """
        if choice not in self.options:
            raise ValueError(
                f"The {self.description} must be one of {self.options}; got {choice!r}."
            )
        return choice

    def set(self, choice: str | None) -> None:
        """Makes a choice in code; `None` goes back to the environment variable.

        Args:
            choice: one of the options, or `None`.

        Raises:
            ValueError: for any other value.

        """
        self._chosen = None if choice is None else self.checked(choice)

    def value(self) -> str:
        """The choice in force: set in code, else the environment variable's, else the default.

        Returns:
            One of the options.

        Raises:
            ValueError: if the environment variable holds another value.

        """
        if self._chosen is not None:
            return self._chosen
        setting = os.environ.get(self.environment_variable)
        if setting is None:
            return self.default
        try:
            return self.checked(setting)
        except ValueError as error:
            raise ValueError(f"{error} (from ${self.environment_variable})") from None
