"""Content regularisers: each registered one builds its table; a new one is one class."""

import numpy as np
import pytest
from conftest import tiny_trainer

from keras_lord.layers import NoisyContentEmbedding, VariationalContentEmbedding
from keras_lord.regularizers import CONTENT_REGULARIZERS, FixedNoise, get_content_regularizer


@pytest.mark.parametrize(
    "name, layer, noise_std, decay",
    [
        ("noise", NoisyContentEmbedding, 0.5, 2e-3),
        ("kl", VariationalContentEmbedding, 0.0, 2e-3),
        ("none", NoisyContentEmbedding, 0.0, 0.0),
    ],
)
def test_each_regularizer_builds_the_content_table_it_names(
    tiny_data, name, layer, noise_std, decay
):
    trainer = tiny_trainer(
        tiny_data, content_regularization=name, noise_std=0.5, content_decay=2e-3
    )
    table = trainer.tables.tables["content"]
    assert type(table) is layer and trainer.content_regularization == name
    assert (table.noise_std, table.decay) == (noise_std, decay)
    assert trainer.regularizer is get_content_regularizer(name)


def test_a_new_regularizer_is_one_class_and_one_registration(tiny_data):
    class HalfNoise(FixedNoise):
        name = "half_noise"

        def strengths(self, noise_std, content_decay):
            return noise_std / 2, content_decay

    CONTENT_REGULARIZERS.register(HalfNoise())
    try:
        trainer = tiny_trainer(tiny_data, content_regularization="half_noise", noise_std=0.5)
        assert trainer.tables.tables["content"].noise_std == 0.25
        assert trainer.noise_std == 0.25, "test-time optimisation fits with the same noise"
        trainer.compile()
        history = trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][-1])
        config = trainer.get_config()
        assert (config["content_regularization"], config["noise_std"]) == ("half_noise", 0.5)
        reloaded = type(trainer).from_config(config)
        assert reloaded.tables.tables["content"].noise_std == 0.25, "halved once, not twice"
    finally:
        CONTENT_REGULARIZERS._variants.pop("half_noise")


def test_unknown_regularizer_names_the_registered_ones(tiny_data):
    with pytest.raises(ValueError, match=r"\('noise', 'kl', 'none'\)"):
        tiny_trainer(tiny_data, content_regularization="dropout")
