"""`CompileSettings`: compile's settings validated once, saved, and read by the CLI."""

import keras
import pytest

from keras_lord.cli import build_parser
from keras_lord.trainers.compile_settings import CompileSettings


def test_round_trip_and_old_configs():
    settings = CompileSettings(
        optimizer=keras.optimizers.SGD(0.1),
        metrics=[keras.metrics.MeanSquaredError()],
        mixed_code_weight=2,
        encoder_shift=3.0,
    )
    assert settings.mixed_code_weight == 2.0 and settings.encoder_shift == 3
    again = CompileSettings.from_config(settings.get_config())
    assert isinstance(again.optimizer, keras.optimizers.SGD)
    assert again.get_config() == settings.get_config()
    # Files saved before an option existed lack its entry: it takes its default.
    old = CompileSettings().get_config()
    del old["mixed_code_weight"], old["target_feature_cache"]
    loaded = CompileSettings.from_config(old)
    assert (loaded.mixed_code_weight, loaded.target_feature_cache) == (0.0, "auto")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"table_updates": "sparse"}, "table_updates"),
        ({"target_feature_cache": "yes"}, "target_feature_cache"),
        ({"encoder_shift": 1.5}, "whole number"),
        ({"encoder_shift": -1}, ">= 0"),
        ({"content_code_noise": float("nan")}, "content_code_noise"),
        ({"mixed_code_weight": -1.0}, "mixed_code_weight"),
        ({"latent_learning_rate": float("inf")}, "latent_learning_rate"),
        ({"latent_learning_rate": None}, "latent_learning_rate"),
        ({"learning_rte": 1e-3}, r"Unknown options \['learning_rte'\]"),
    ],
)
def test_bad_settings_are_refused_by_name(options, message):
    with pytest.raises(ValueError, match=message):
        CompileSettings.from_options(options)


def test_image_dependent_check():
    CompileSettings(encoder_shift=7).checked_for((8, 8, 3))
    with pytest.raises(ValueError, match="smaller than the images"):
        CompileSettings(encoder_shift=8).checked_for((8, 12, 3))


def test_command_line_options_are_the_stage2_fields():
    options = CompileSettings.command_line_options(stage=2)
    assert [option.field for option in options] == [
        "learning_rate",
        "mixed_code_weight",
        "encoder_shift",
        "content_code_noise",
        "class_code_sharing",
        "class_content_decorrelation",
        "generator_rate_factor",
    ]
    assert CompileSettings.command_line_options(stage=1) == [options[0]]
    synthesis = CompileSettings.command_line_options(stage=3, shared=False)
    assert [option.field for option in synthesis] == ["adversarial_weight", "r1_weight"]
    parsed = build_parser().parse_args(
        ["train", "d.npz", "--out", "r", "--synthesis-epochs", "3", "--r1-weight", "0.5"]
    )
    assert (parsed.synthesis_epochs, parsed.r1_weight, parsed.adversarial_weight) == (3, 0.5, None)
    parsed = build_parser().parse_args(
        ["train", "data.npz", "--out", "run", "--encoder-shift", "2", "--mixed-code-weight", "1"]
    )
    assert (parsed.encoder_shift, parsed.mixed_code_weight, parsed.encoder_lr) == (2, 1.0, None)
    assert parsed.latent_lr == CompileSettings.default("latent_learning_rate")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "d.npz", "--out", "r", "--encoder-shift", "1.5"])
