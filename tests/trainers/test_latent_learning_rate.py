"""`latent_learning_rate="auto"`: the rule, and the rate a `fit` really trains the tables at."""

import keras
import numpy as np
import pytest
from conftest import tiny_trainer

from keras_lord.cli import build_parser
from keras_lord.trainers.compile_settings import CompileSettings
from keras_lord.trainers.latent_learning_rate import (
    auto_latent_learning_rate,
    updates_per_code,
)


@pytest.mark.parametrize(
    "updates, rate",
    [(1, 3e-2), (20, 3e-2), (30, 2e-2), (60, 1e-2), (200, 3e-3), (5000, 3e-3)],
)
def test_rule(updates, rate):
    assert auto_latent_learning_rate(updates) == pytest.approx(rate)


@pytest.mark.parametrize("updates", [0, -3, float("nan"), float("inf")])
def test_rule_refuses_impossible_counts(updates):
    with pytest.raises(ValueError, match="positive"):
        auto_latent_learning_rate(updates)


def test_updates_per_code():
    assert updates_per_code(60) == 60
    # 10 steps of 8 out of 40 images: every image twice an epoch.
    assert updates_per_code(60, steps_per_epoch=10, batch_size=8, num_images=40) == 120


def test_auto_is_the_default_everywhere():
    assert CompileSettings().latent_learning_rate == "auto"
    parsed = build_parser().parse_args(["train", "data.npz", "--out", "run"])
    assert parsed.latent_lr == "auto"
    assert build_parser().parse_args(["train", "d", "--out", "r", "--latent-lr", "1e-2"]).latent_lr
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "d", "--out", "r", "--latent-lr", "fast"])


def _largest_content_move(trainer, data, **fit_arguments):
    before = trainer.tables.table("content").copy()
    trainer.fit(data.inputs(), shuffle=False, **fit_arguments)
    return np.abs(trainer.tables.table("content") - before).max()


def test_fit_trains_the_tables_at_the_chosen_rate(tiny_data, capsys):
    # Adam's first step moves every entry with a gradient by about its learning rate (less
    # where the gradient is near Adam's epsilon): the largest move of a content code after
    # one step is the rate the step used. The codes keep their start (no PCA start at the
    # first `fit`), so that the step's move is all that changes them.
    trainer = tiny_trainer(tiny_data)
    trainer.compile(content_initialization="random")
    batch = tiny_data.num_samples
    moved = _largest_content_move(trainer, tiny_data, batch_size=batch, epochs=1, verbose=1)
    assert trainer.latent_learning_rate == pytest.approx(3e-2)
    assert moved == pytest.approx(3e-2, rel=0.05)
    assert "latent learning rate 0.03 (auto: 1 updates per content code" in capsys.readouterr().out
    # A fit of 60 epochs, stopped after its first step, took 0.6 / 60.
    trainer = tiny_trainer(tiny_data)
    trainer.compile(content_initialization="random")
    stop = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: setattr(trainer, "stop_training", True)
    )
    moved = _largest_content_move(
        trainer, tiny_data, batch_size=batch, epochs=60, verbose=0, callbacks=[stop]
    )
    assert trainer.latent_learning_rate == pytest.approx(1e-2)
    assert moved == pytest.approx(1e-2, rel=0.05)
    fixed = tiny_trainer(tiny_data)
    fixed.compile(latent_learning_rate=1e-3, content_initialization="random")
    moved = _largest_content_move(fixed, tiny_data, batch_size=batch, epochs=1, verbose=0)
    assert fixed.latent_learning_rate == 1e-3
    assert moved == pytest.approx(1e-3, rel=0.05)
