"""Names that moved still import from their old places, with a DeprecationWarning."""

import importlib

import pytest
from conftest import tiny_trainer

from keras_lord.translation.latent_code_fitter import LatentCodeFitter


@pytest.mark.parametrize(
    "module, name, expected",
    [
        ("keras_lord.models.lord_model", "TRANSLATION_METHODS", ("encoders", "refine", "optimize")),
        (
            "keras_lord.trainers.lord_trainer",
            "STAGE1_CODES",
            ("tables", "semi_amortized", "amortized"),
        ),
        ("keras_lord.tables.factor_tables", "CONTENT_REGULARIZATIONS", ("noise", "kl", "none")),
        ("keras_lord.trainers.latent_code_fitter", "LatentCodeFitter", LatentCodeFitter),
    ],
)
def test_moved_names_warn_and_resolve(module, name, expected):
    with pytest.warns(DeprecationWarning, match=name):
        value = getattr(importlib.import_module(module), name)
    assert value == expected
    with pytest.raises(AttributeError):
        importlib.import_module(module).no_such_name  # noqa: B018


def test_old_compile_config_attribute(tiny_data):
    trainer = tiny_trainer(tiny_data)
    with pytest.warns(DeprecationWarning):
        assert trainer.lord_compile_config is None
    trainer.compile(mixed_code_weight=1.5)
    with pytest.warns(DeprecationWarning):
        assert trainer.lord_compile_config["mixed_code_weight"] == 1.5
