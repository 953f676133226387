"""Named variants, registered once: what every choice of a string in keras-lord resolves to."""

from collections.abc import Iterator


class Registry:
    """Variants of one concept by name: stage-1 code sources, regularisations, methods.

    Each variant is a class (or object) with a `name`; the one place that lists a concept's
    variants registers them, and every other module asks the registry instead of comparing
    strings. Adding a variant is a new module and one `register` call.

    Args:
        kind: what the variants are, for error messages (e.g. `"stage-1 code source"`).
        argument: the argument that names a variant, for error messages (e.g.
            `"stage1_codes"`).

    Example:
    ```python
    sources = Registry("code source", "stage1_codes")
    sources.register(TableCodes)
    sources.get("tables")  # TableCodes
    ```

    """

    def __init__(self, kind: str, argument: str):
        self.kind = kind
        self.argument = argument
        self._variants = {}

    def register(self, variant):
        """Adds a variant under its `name`; usable as a class decorator.

        Args:
            variant: a class or object with a `name` attribute.

        Returns:
            `variant`.

        Raises:
            ValueError: if the name is taken by another variant.

        """
        name = variant.name
        if name in self._variants and self._variants[name] is not variant:
            raise ValueError(f"A {self.kind} named {name!r} is registered already.")
        self._variants[name] = variant
        return variant

    def get(self, name: str):
        """The variant of a name.

        Args:
            name: a registered name.

        Returns:
            The registered class or object.

        Raises:
            ValueError: naming the registered names, for any other.

        """
        if name not in self._variants:
            raise ValueError(f"`{self.argument}` must be one of {self.names()}; got {name!r}.")
        return self._variants[name]

    def names(self) -> tuple:
        """The registered names, in registration order."""
        return tuple(self._variants)

    def __contains__(self, name) -> bool:
        return name in self._variants

    def __iter__(self) -> Iterator[str]:
        return iter(self._variants)

    def __len__(self) -> int:
        return len(self._variants)
