"""`Registry`: the one place each concept's variants are named."""

import pytest

from keras_lord.utils.registry import Registry


class First:
    name = "first"


class Second:
    name = "second"


def test_registry_resolves_names_and_refuses_others():
    registry = Registry("thing", "thing_name")
    assert registry.register(First) is First
    registry.register(Second)
    assert registry.get("second") is Second
    assert registry.names() == ("first", "second") and list(registry) == ["first", "second"]
    assert "first" in registry and "third" not in registry and len(registry) == 2
    with pytest.raises(ValueError, match=r"`thing_name` must be one of \('first', 'second'\)"):
        registry.get("third")
    registry.register(First)  # registering the same variant again changes nothing
    other = type("Other", (), {"name": "first"})
    with pytest.raises(ValueError, match="named 'first' is registered already"):
        registry.register(other)
