"""The deployable model does not depend on training code."""

import ast
from pathlib import Path

import keras_lord

PACKAGE = Path(keras_lord.__file__).parent


def imported_modules(folder: str) -> set:
    names = set()
    for path in (PACKAGE / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    return names


def test_models_and_translation_import_nothing_from_trainers():
    for folder in ("models", "translation"):
        imports = imported_modules(folder)
        assert not {name for name in imports if name.startswith("keras_lord.trainers")}, folder
