"""The Inception-v3 of FID: the 2015 TensorFlow network whose pool features FID compares.

FID (Heusel et al., 2017) is defined on one network: the Inception-v3 graph TensorFlow
published in December 2015, not the later ImageNet Inception-v3 of Keras or torchvision,
which gives other numbers. `pytorch-fid` converted its weights to a PyTorch state dict
(`pt_inception-2015-12-05-6726825d.pth`, the digits are the start of its SHA-256); this
module builds that network in Keras, with the layer names of the state dict, and reads
the file without PyTorch (`keras_lord.backbones.torch_checkpoint`). It differs from
torchvision's Inception-v3 where the 2015 graph did: its average pools leave the padding
out of the mean, and the last block takes a max pool in its pooling branch.

Weights (`inception_weights`): `"fid"` downloads the published file once, on first use,
into Keras' cache (`~/.keras/keras_lord/`) and checks its hash; a path reads a copy of it
(e.g. on a machine without internet); `None` keeps random weights (for timing only).
"""

import hashlib
import os
import urllib.request
import warnings

import keras

from keras_lord.backbones.torch_checkpoint import read_torch_state_dict

FID_WEIGHTS_URL = (
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
    "pt_inception-2015-12-05-6726825d.pth"
)
# The start of the file's SHA-256, as its name carries it (PyTorch hub's convention).
FID_WEIGHTS_HASH_PREFIX = "6726825d"
FEATURE_SIZE = 2048
INPUT_SIZE = 299
BATCH_NORM_EPSILON = 1e-3
CACHE_SUBDIR = "keras_lord"


def _file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url, path):
    # Into a file of its own first: a download cut off leaves no file under the real name.
    partial = f"{path}.part"
    try:
        with urllib.request.urlopen(url) as response, open(partial, "wb") as file:
            size = int(response.headers.get("Content-Length") or 0) or None
            progress = keras.utils.Progbar(size, unit_name="byte")
            print(f"Downloading {url}")
            for block in iter(lambda: response.read(1 << 20), b""):
                file.write(block)
                progress.add(len(block))
    except (OSError, ValueError) as error:  # URLError is an OSError
        if os.path.exists(partial):
            os.remove(partial)
        raise OSError(
            f"Could not download {url} ({error}). Without internet, download the file on "
            "another machine and pass its path as `inception_weights`."
        ) from error
    os.replace(partial, path)


def fetch_weights(
    url: str = FID_WEIGHTS_URL,
    hash_prefix: str = FID_WEIGHTS_HASH_PREFIX,
    cache_dir: str | None = None,
) -> str:
    """The path of a weight file, downloaded on first use and checked against its hash.

    Args:
        url: where the file is published (any URL `urllib` opens, `file://` included).
        hash_prefix: the start of the file's SHA-256 in hex.
        cache_dir: the folder Keras keeps downloads in (default `~/.keras`); the file goes
            to its `keras_lord/` subfolder.

    Returns:
        The local path.

    Raises:
        OSError: when the download fails, saying how to use a local copy instead.
        ValueError: when the downloaded file's hash does not match (it is removed) or a
            file already in the cache does not (it is left, and named).

    """
    name = url.rsplit("/", 1)[-1]
    folder = os.path.join(
        os.path.expanduser(cache_dir or os.path.join("~", ".keras")), CACHE_SUBDIR
    )
    path = os.path.join(folder, name)
    existed = os.path.exists(path)
    if not existed:
        os.makedirs(folder, exist_ok=True)
        _download(url, path)
    digest = _file_sha256(path)
    if not digest.startswith(hash_prefix):
        if existed:
            raise ValueError(
                f"{path} does not have the published hash ({hash_prefix}...; it has "
                f"{digest[:12]}...): move it away so that it is downloaded again."
            )
        os.remove(path)  # our own download, corrupt
        raise ValueError(f"The download of {url} was corrupt (SHA-256 {digest[:12]}...).")
    return path


def _unit(x, filters, kernel, name, strides=1, same=False):
    # pytorch-fid's BasicConv2d: a convolution without bias, batch norm, ReLU. Its padding
    # is half the kernel where it pads at all, which is Keras' "same" at stride 1.
    x = keras.layers.Conv2D(
        filters,
        kernel,
        strides=strides,
        padding="same" if same else "valid",
        use_bias=False,
        name=f"{name}.conv",
    )(x)
    x = keras.layers.BatchNormalization(epsilon=BATCH_NORM_EPSILON, name=f"{name}.bn")(x)
    return keras.layers.ReLU()(x)


def _average_pool(x):
    # "same" average pools divide by the inputs inside the image, as the 2015 graph did.
    return keras.layers.AveragePooling2D(3, strides=1, padding="same")(x)


def _block_a(x, pool_filters, name):
    one = _unit(x, 64, 1, f"{name}.branch1x1")
    five = _unit(x, 48, 1, f"{name}.branch5x5_1")
    five = _unit(five, 64, 5, f"{name}.branch5x5_2", same=True)
    three = _unit(x, 64, 1, f"{name}.branch3x3dbl_1")
    three = _unit(three, 96, 3, f"{name}.branch3x3dbl_2", same=True)
    three = _unit(three, 96, 3, f"{name}.branch3x3dbl_3", same=True)
    pool = _unit(_average_pool(x), pool_filters, 1, f"{name}.branch_pool")
    return keras.layers.Concatenate()([one, five, three, pool])


def _block_b(x, name):
    three = _unit(x, 384, 3, f"{name}.branch3x3", strides=2)
    double = _unit(x, 64, 1, f"{name}.branch3x3dbl_1")
    double = _unit(double, 96, 3, f"{name}.branch3x3dbl_2", same=True)
    double = _unit(double, 96, 3, f"{name}.branch3x3dbl_3", strides=2)
    pool = keras.layers.MaxPooling2D(3, strides=2)(x)
    return keras.layers.Concatenate()([three, double, pool])


def _block_c(x, channels, name):
    one = _unit(x, 192, 1, f"{name}.branch1x1")
    seven = _unit(x, channels, 1, f"{name}.branch7x7_1")
    seven = _unit(seven, channels, (1, 7), f"{name}.branch7x7_2", same=True)
    seven = _unit(seven, 192, (7, 1), f"{name}.branch7x7_3", same=True)
    double = _unit(x, channels, 1, f"{name}.branch7x7dbl_1")
    for index, (kernel, filters) in enumerate(
        [((7, 1), channels), ((1, 7), channels), ((7, 1), channels), ((1, 7), 192)], start=2
    ):
        double = _unit(double, filters, kernel, f"{name}.branch7x7dbl_{index}", same=True)
    pool = _unit(_average_pool(x), 192, 1, f"{name}.branch_pool")
    return keras.layers.Concatenate()([one, seven, double, pool])


def _block_d(x, name):
    three = _unit(x, 192, 1, f"{name}.branch3x3_1")
    three = _unit(three, 320, 3, f"{name}.branch3x3_2", strides=2)
    seven = _unit(x, 192, 1, f"{name}.branch7x7x3_1")
    seven = _unit(seven, 192, (1, 7), f"{name}.branch7x7x3_2", same=True)
    seven = _unit(seven, 192, (7, 1), f"{name}.branch7x7x3_3", same=True)
    seven = _unit(seven, 192, 3, f"{name}.branch7x7x3_4", strides=2)
    pool = keras.layers.MaxPooling2D(3, strides=2)(x)
    return keras.layers.Concatenate()([three, seven, pool])


def _split(x, name):
    # A 1x3 and a 3x1 convolution side by side, concatenated.
    wide = _unit(x, 384, (1, 3), f"{name}a", same=True)
    tall = _unit(x, 384, (3, 1), f"{name}b", same=True)
    return keras.layers.Concatenate()([wide, tall])


def _block_e(x, name, max_pool):
    one = _unit(x, 320, 1, f"{name}.branch1x1")
    three = _split(_unit(x, 384, 1, f"{name}.branch3x3_1"), f"{name}.branch3x3_2")
    double = _unit(x, 448, 1, f"{name}.branch3x3dbl_1")
    double = _unit(double, 384, 3, f"{name}.branch3x3dbl_2", same=True)
    double = _split(double, f"{name}.branch3x3dbl_3")
    pooled = (
        keras.layers.MaxPooling2D(3, strides=1, padding="same")(x) if max_pool else _average_pool(x)
    )
    pool = _unit(pooled, 192, 1, f"{name}.branch_pool")
    return keras.layers.Concatenate()([one, three, double, pool])


def build_fid_inception(name: str = "fid_inception_v3") -> keras.Model:
    """FID's Inception-v3 up to its 2048 pool features, with random weights.

    Args:
        name: the model's name.

    Returns:
        A `keras.Model` from images `(batch, height, width, 3)` in `[0, 1]`, of any size
        (resized to 299x299 bilinearly, as `pytorch-fid` does), to `(batch, 2048)`.

    """
    images = keras.Input((None, None, 3), name="images")
    x = keras.layers.Resizing(INPUT_SIZE, INPUT_SIZE, interpolation="bilinear")(images)
    x = keras.layers.Rescaling(2.0, offset=-1.0)(x)
    x = _unit(x, 32, 3, "Conv2d_1a_3x3", strides=2)
    x = _unit(x, 32, 3, "Conv2d_2a_3x3")
    x = _unit(x, 64, 3, "Conv2d_2b_3x3", same=True)
    x = keras.layers.MaxPooling2D(3, strides=2)(x)
    x = _unit(x, 80, 1, "Conv2d_3b_1x1")
    x = _unit(x, 192, 3, "Conv2d_4a_3x3")
    x = keras.layers.MaxPooling2D(3, strides=2)(x)
    for block, pool_filters in (("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64)):
        x = _block_a(x, pool_filters, block)
    x = _block_b(x, "Mixed_6a")
    for block, channels in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160)):
        x = _block_c(x, channels, block)
    x = _block_c(x, 192, "Mixed_6e")
    x = _block_d(x, "Mixed_7a")
    x = _block_e(x, "Mixed_7b", max_pool=False)
    x = _block_e(x, "Mixed_7c", max_pool=True)
    features = keras.layers.GlobalAveragePooling2D(name="pool3")(x)
    return keras.Model(images, features, name=name)


def load_fid_inception_weights(model: keras.Model, state: dict) -> None:
    """Sets the weights of a `build_fid_inception` model from the published state dict.

    Args:
        model: the model.
        state: `{name: array}` as `read_torch_state_dict` reads the file (its classifier,
            `fc.*`, is not used).

    Raises:
        ValueError: naming the tensors the file lacks or whose shapes do not fit.

    """
    missing, wrong = [], []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            names = [f"{layer.name}.weight"]
        elif isinstance(layer, keras.layers.BatchNormalization):
            names = [f"{layer.name}.{part}" for part in ("weight", "bias")]
            names += [f"{layer.name}.running_{part}" for part in ("mean", "var")]
        else:
            continue
        if any(name not in state for name in names):
            missing += [name for name in names if name not in state]
            continue
        values = [state[name] for name in names]
        if isinstance(layer, keras.layers.Conv2D):
            # PyTorch keeps (out, in, height, width); Keras (height, width, in, out).
            values = [values[0].transpose(2, 3, 1, 0)]
        expected = [tuple(weight.shape) for weight in layer.weights]
        if [tuple(value.shape) for value in values] != expected:
            wrong.append(f"{layer.name} {[value.shape for value in values]} (needs {expected})")
            continue
        layer.set_weights(values)
    if missing or wrong:
        raise ValueError(
            "The weights are not those of FID's Inception-v3: "
            + (f"missing {missing[:6]}{' ...' if len(missing) > 6 else ''}. " if missing else "")
            + (f"wrong shapes: {wrong[:3]}." if wrong else "")
        )


def fid_inception(weights: str | os.PathLike | None = "fid") -> keras.Model:
    """FID's Inception-v3 with its published weights.

    Args:
        weights: `"fid"` (downloaded on first use and checked, see `fetch_weights`), the
            path of a copy of `pt_inception-2015-12-05-6726825d.pth`, or `None` for random
            weights (warned: FID with them means nothing).

    Returns:
        The model (see `build_fid_inception`).

    Raises:
        FileNotFoundError: for a path that does not exist.
        OSError: when the download fails.
        ValueError: for a file that is not the network's weights.

    Example:
    ```python
    model = fid_inception("/data/pt_inception-2015-12-05-6726825d.pth")
    model.predict(images).shape  # (len(images), 2048)
    ```

    """
    if weights is None:
        warnings.warn(
            "FID's Inception-v3 has random weights: its FID and KID are for timing only.",
            stacklevel=2,
        )
        return build_fid_inception()
    if isinstance(weights, str) and weights == "fid":
        path = fetch_weights()
    else:
        path = os.fspath(weights)
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"No Inception weights at {path}: pass a copy of {FID_WEIGHTS_URL}, or 'fid' "
                "to download it."
            )
    state = read_torch_state_dict(path)
    model = build_fid_inception()
    load_fid_inception_weights(model, state)
    return model
