"""The one check of VGG16 layer names, and every place that relies on it."""

import pytest

from keras_lord.backbones.vgg16 import VGG16_LAYER_ORDER, build_vgg16_trunk, check_vgg16_layers
from keras_lord.clustering import StyleClusterLabeler
from keras_lord.run_checks import check_run_arguments


def test_valid_names_come_back_as_a_tuple():
    assert check_vgg16_layers(["block1_conv2", "block5_pool"]) == ("block1_conv2", "block5_pool")
    assert check_vgg16_layers(iter(VGG16_LAYER_ORDER)) == VGG16_LAYER_ORDER


def test_the_error_names_the_bad_layers_and_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown VGG16 layers \['conv9', 'pool'\]") as info:
        check_vgg16_layers(["block1_conv1", "conv9", "pool"])
    assert ", ".join(VGG16_LAYER_ORDER) in str(info.value)
    with pytest.raises(ValueError, match="No VGG16 layers given; choose from block1_conv1"):
        check_vgg16_layers([])


@pytest.mark.parametrize(
    "check",
    [
        lambda layers: build_vgg16_trunk(layers),
        lambda layers: StyleClusterLabeler(feature_layers=layers),
        lambda layers: check_run_arguments(1, 1, 1, 1e-3, perceptual_layers=layers),
    ],
    ids=["backbone", "style_cluster_labeler", "training_run"],
)
def test_every_user_raises_the_same_error(check):
    for layers, message in ((("block9_conv1",), "Unknown VGG16 layers"), ((), "No VGG16 layers")):
        with pytest.raises(ValueError, match=message) as info:
            check(layers)
        assert "choose from block1_conv1" in str(info.value)
