import keras
import numpy as np
import pytest
from conftest import to_numpy

from keras_lord.layers import AdaIN, ClassModulation, NoisyContentEmbedding, SharedClassEmbedding


def roundtrip(layer):
    config = layer.get_config()
    clone = layer.__class__.from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"].startswith("keras_lord>")
    return clone


def test_class_embedding_shares_rows_and_initial_range():
    layer = SharedClassEmbedding(num_classes=5, dim=7, seed=1)
    codes = to_numpy(layer(np.array([0, 3, 3, 4])))
    assert codes.shape == (4, 7)
    np.testing.assert_array_equal(codes[1], codes[2])
    table = to_numpy(layer.embeddings)
    assert table.min() >= -0.05 and table.max() <= 0.05 and table.std() > 0.01
    roundtrip(layer)


def test_class_embedding_rejects_bad_sizes():
    with pytest.raises(ValueError, match="positive"):
        SharedClassEmbedding(num_classes=0, dim=4)


def test_content_embedding_noise_only_in_training():
    layer = NoisyContentEmbedding(num_samples=64, dim=512, noise_std=1.0, decay=0.0, seed=2)
    ids = np.arange(64)
    clean = to_numpy(layer(ids))
    np.testing.assert_array_equal(clean, to_numpy(layer(ids, training=False)))
    np.testing.assert_array_equal(clean, to_numpy(layer.embeddings))
    noisy_a = to_numpy(layer(ids, training=True))
    noisy_b = to_numpy(layer(ids, training=True))
    assert abs((noisy_a - clean).std() - 1.0) < 0.02
    assert abs((noisy_a - clean).mean()) < 0.02
    assert not np.allclose(noisy_a, noisy_b), "the seed generator must advance"


def test_content_embedding_noise_std_is_configurable():
    layer = NoisyContentEmbedding(num_samples=32, dim=1024, noise_std=0.25, seed=2)
    ids = np.arange(32)
    difference = to_numpy(layer(ids, training=True)) - to_numpy(layer(ids))
    assert abs(difference.std() - 0.25) < 0.01


def test_content_embedding_penalty_on_clean_codes():
    layer = NoisyContentEmbedding(num_samples=10, dim=4, decay=0.5, seed=0)
    layer.build()
    table = np.arange(40, dtype="float32").reshape(10, 4) / 40.0
    layer.embeddings.assign(table)
    ids = np.array([1, 2, 7])
    layer(ids, training=True)
    assert len(layer.losses) == 1
    expected = 0.5 * np.mean(np.sum(table[ids] ** 2, axis=1))
    np.testing.assert_allclose(to_numpy(layer.losses[0]), expected, rtol=1e-6)


def test_content_embedding_config_roundtrip():
    layer = NoisyContentEmbedding(num_samples=3, dim=2, noise_std=0.5, decay=1e-4, seed=9)
    clone = roundtrip(layer)
    assert clone.noise_std == 0.5 and clone.decay == 1e-4


def test_content_embedding_rejects_negative_noise():
    with pytest.raises(ValueError, match="noise_std"):
        NoisyContentEmbedding(num_samples=3, dim=2, noise_std=-1.0)


def test_content_embedding_starts_given_rows_and_keeps_the_rest():
    layer = NoisyContentEmbedding(num_samples=6, dim=3, seed=1)
    layer.build()
    before = to_numpy(layer.embeddings)
    codes = np.arange(6, dtype="float32").reshape(2, 3)
    layer.start_codes(np.array([4, 1]), codes)
    after = to_numpy(layer.embeddings)
    np.testing.assert_array_equal(after[[4, 1]], codes)
    np.testing.assert_array_equal(after[[0, 2, 3, 5]], before[[0, 2, 3, 5]])
    with pytest.raises(ValueError, match="shape"):
        layer.start_codes(np.array([0]), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="lie in"):
        layer.start_codes(np.array([6]), np.zeros((1, 3)))
    np.testing.assert_array_equal(to_numpy(layer.embeddings), after)


def test_adain_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(2, 6, 5, 4)).astype("float32")
    scale = rng.normal(size=(2, 4)).astype("float32")
    bias = rng.normal(size=(2, 4)).astype("float32")
    out = to_numpy(AdaIN(epsilon=1e-5)(x, scale, bias))
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    expected = scale[:, None, None] * (x - mean) / np.sqrt(var + 1e-5) + bias[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    # Per sample and channel, the output has mean = bias and std = |scale|.
    np.testing.assert_allclose(out.mean(axis=(1, 2)), bias, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(1, 2)), np.abs(scale), rtol=1e-3)
    roundtrip(AdaIN(epsilon=1e-7))


def test_class_modulation_shapes():
    layer = ClassModulation(num_layers=3, channels=8)
    params = to_numpy(layer(np.ones((5, 11), "float32")))
    assert params.shape == (5, 3, 2, 8)
    assert roundtrip(layer).channels == 8


# Map smaller than the kernel (2x2, 1x3, 1x1, 2x5 under 4x4: one matmul over the map), kernel
# larger than the map along one axis only (patch matmul under JAX), and a plain convolution.
PATCH_MATMUL_CASES = [
    ((3, 2, 2, 5), 3),
    ((2, 1, 3, 4), 3),
    ((2, 1, 1, 4), 3),
    ((2, 2, 5, 3), 4),
    ((2, 2, 6, 3), 3),
    ((2, 3, 8, 2), 4),
    ((2, 6, 6, 3), 3),
]


# Blocks of 2 with odd, even and non-square kernels; 3 (a generator's output) or 7 filters.
SPACE_TO_DEPTH_CASES = [
    ((2, 8, 8, 5), 7, 3),
    ((2, 6, 4, 4), 3, 7),
    ((3, 4, 6, 2), 4, 3),
    ((2, 4, 4, 3), (1, 5), 3),
]


def conv2d_pair(input_shape, kernel_size, layer_class=None, filters=7):
    from keras_lord.layers import PatchMatmulConv2D

    layer_class = layer_class or PatchMatmulConv2D
    reference = keras.layers.Conv2D(filters, kernel_size, padding="same", activation="relu")
    layer = layer_class(filters, kernel_size, padding="same", activation="relu")
    reference.build(input_shape)
    layer.build(input_shape)
    layer.set_weights([np.random.default_rng(1).normal(size=w.shape) for w in layer.weights])
    reference.set_weights(layer.get_weights())
    return layer, reference


def conv2d_cases():
    from keras_lord.layers import PatchMatmulConv2D, SpaceToDepthConv2D

    return [(PatchMatmulConv2D, shape, kernel, 7) for shape, kernel in PATCH_MATMUL_CASES] + [
        (SpaceToDepthConv2D, shape, kernel, filters)
        for shape, kernel, filters in SPACE_TO_DEPTH_CASES
    ]


@pytest.mark.parametrize("layer_class, input_shape, kernel_size, filters", conv2d_cases())
def test_fast_conv2d_equals_conv2d(layer_class, input_shape, kernel_size, filters):
    inputs = np.random.default_rng(0).normal(size=input_shape).astype("float32")
    layer, reference = conv2d_pair(input_shape, kernel_size, layer_class, filters)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(inputs)),
        keras.ops.convert_to_numpy(reference(inputs)),
        rtol=1e-5,
        atol=1e-5,
    )
    restored = roundtrip(layer)
    assert restored.get_config() == layer.get_config()


@pytest.mark.parametrize(
    "layer_class, input_shape, kernel_size, filters", conv2d_cases()[:5] + conv2d_cases()[-4:]
)
def test_fast_conv2d_trains_like_conv2d(layer_class, input_shape, kernel_size, filters):
    rng = np.random.default_rng(2)
    inputs = rng.normal(size=input_shape).astype("float32")
    targets = rng.normal(size=input_shape[:3] + (filters,)).astype("float32")
    layer, reference = conv2d_pair(input_shape, kernel_size, layer_class, filters)
    assert_one_sgd_step_equal([layer], [reference], inputs, targets)


def assert_one_sgd_step_equal(layers, reference_layers, inputs, targets):
    # The stem (identity at first) makes the step use the layers' input gradient too: equal
    # weights after it mean equal kernel and input gradients.
    models = []
    for stack in (layers, reference_layers):
        stem = keras.layers.Dense(inputs.shape[-1], kernel_initializer="identity")
        model = keras.Sequential([keras.Input(inputs.shape[1:]), stem] + stack)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        model.train_on_batch(inputs, targets)
        models.append(model)
    for trained, reference in zip(models[0].weights, models[1].weights):
        np.testing.assert_allclose(
            to_numpy(trained), to_numpy(reference), rtol=1e-4, atol=1e-5, err_msg=trained.path
        )


@pytest.mark.parametrize("input_shape, kernel_size, filters", SPACE_TO_DEPTH_CASES)
def test_blocked_convolution_equals_conv(input_shape, kernel_size, filters):
    # The blocked path itself, on every backend (the layer uses it under TensorFlow only).
    from keras_lord.layers import SpaceToDepthConv2D

    rng = np.random.default_rng(3)
    inputs = rng.normal(size=input_shape).astype("float32")
    layer = SpaceToDepthConv2D(filters, kernel_size, padding="same")
    layer.build(input_shape)
    kernel = rng.normal(size=layer.kernel.shape).astype("float32")
    np.testing.assert_allclose(
        to_numpy(layer.blocked_convolution(inputs, kernel)),
        to_numpy(keras.ops.conv(inputs, kernel, padding="same")),
        rtol=1e-5,
        atol=1e-5,
    )
    assert layer.computes_on_blocks(input_shape) == (keras.backend.backend() == "tensorflow")


def test_space_to_depth_conv2d_falls_back_to_conv2d():
    from keras_lord.layers import SpaceToDepthConv2D

    # Odd sizes cannot be cut into blocks of 2; strides are not blocked either.
    for input_shape, strides in [((2, 5, 6, 3), 1), ((2, 8, 8, 3), 2)]:
        inputs = np.random.default_rng(0).normal(size=input_shape).astype("float32")
        layer = SpaceToDepthConv2D(3, 3, strides=strides, padding="same")
        assert not layer.computes_on_blocks(input_shape)
        reference = keras.layers.Conv2D(3, 3, strides=strides, padding="same")
        reference.build(input_shape)
        layer.build(input_shape)
        reference.set_weights(layer.get_weights())
        np.testing.assert_allclose(to_numpy(layer(inputs)), to_numpy(reference(inputs)), atol=1e-6)
    assert roundtrip(SpaceToDepthConv2D(3, 7, block_size=4)).block_size == 4
    for block_size in (0, 2.5):
        with pytest.raises(ValueError, match="block_size"):
            SpaceToDepthConv2D(3, 7, block_size=block_size)


# Odd square and non-square kernels, upsampling by 2 and 3, 1x1 and non-square maps.
UPSAMPLE_CONV_CASES = [
    ((2, 4, 4, 5), 3, 2),
    ((2, 3, 5, 4), 5, 2),
    ((3, 2, 3, 2), (3, 1), 2),
    ((2, 1, 1, 3), 3, 2),
    ((2, 3, 2, 3), 3, 3),
]


def upsample_conv_pair(input_shape, kernel_size, upsampling, filters=6):
    from keras_lord.layers import UpsampleConv2D

    layer = UpsampleConv2D(
        filters, kernel_size, upsampling=upsampling, padding="same", activation="relu"
    )
    layer.build(input_shape)
    layer.set_weights([np.random.default_rng(1).normal(size=w.shape) for w in layer.weights])
    upsample = keras.layers.UpSampling2D(upsampling, interpolation="nearest")
    conv = keras.layers.Conv2D(filters, kernel_size, padding="same", activation="relu")
    conv.build(upsample.compute_output_shape(input_shape))
    conv.set_weights(layer.get_weights())
    return layer, [upsample, conv]


@pytest.mark.parametrize("input_shape, kernel_size, upsampling", UPSAMPLE_CONV_CASES)
def test_upsample_conv2d_equals_upsampling_then_conv2d(input_shape, kernel_size, upsampling):
    inputs = np.random.default_rng(0).normal(size=input_shape).astype("float32")
    layer, reference = upsample_conv_pair(input_shape, kernel_size, upsampling)
    expected = to_numpy(reference[1](reference[0](inputs)))
    assert layer.skips_upsampling(input_shape)
    assert layer.compute_output_shape(input_shape) == expected.shape
    np.testing.assert_allclose(to_numpy(layer(inputs)), expected, rtol=1e-5, atol=1e-5)
    # Both forms, on every backend (the layer picks one per backend).
    kernel = layer.kernel
    for form in (layer.transposed_convolution, layer.phase_convolution):
        np.testing.assert_allclose(
            to_numpy(keras.activations.relu(form(inputs, kernel) + layer.bias)),
            expected,
            rtol=1e-5,
            atol=1e-5,
        )
    assert roundtrip(layer).upsampling == upsampling


@pytest.mark.parametrize("input_shape, kernel_size, upsampling", UPSAMPLE_CONV_CASES[:3])
def test_upsample_conv2d_trains_like_upsampling_then_conv2d(input_shape, kernel_size, upsampling):
    rng = np.random.default_rng(2)
    inputs = rng.normal(size=input_shape).astype("float32")
    height, width = (upsampling * size for size in input_shape[1:3])
    targets = rng.normal(size=(input_shape[0], height, width, 6)).astype("float32")
    layer, reference_layers = upsample_conv_pair(input_shape, kernel_size, upsampling)
    assert_one_sgd_step_equal([layer], reference_layers, inputs, targets)


def test_upsample_conv2d_falls_back_and_rejects_bad_factors():
    from keras_lord.layers import UpsampleConv2D

    # An even kernel and a strided convolution upsample first, then convolve.
    for kernel_size, strides in [(4, 1), (3, 2)]:
        inputs = np.random.default_rng(0).normal(size=(2, 3, 4, 3)).astype("float32")
        layer = UpsampleConv2D(4, kernel_size, strides=strides, padding="same")
        assert not layer.skips_upsampling(inputs.shape)
        reference = keras.layers.Conv2D(4, kernel_size, strides=strides, padding="same")
        reference.build((2, 6, 8, 3))
        layer.build(inputs.shape)
        reference.set_weights(layer.get_weights())
        expected = to_numpy(reference(np.repeat(np.repeat(inputs, 2, axis=1), 2, axis=2)))
        np.testing.assert_allclose(to_numpy(layer(inputs)), expected, atol=1e-6)
    for factor in (0, 1.5):
        with pytest.raises(ValueError, match="upsampling"):
            UpsampleConv2D(4, 3, upsampling=factor)
