"""FID's Inception-v3: the published file's layout, its download and its refusals."""

import hashlib
import os
import shutil

import keras
import numpy as np
import pytest

from keras_lord.backbones.inception_v3 import (
    build_fid_inception,
    fetch_weights,
    fid_inception,
    load_fid_inception_weights,
)

CHECKPOINT = os.path.join(
    os.path.dirname(__file__), "..", "data", "torch_checkpoints", "zip_format.pth"
)


def _published_layout(model, rng):
    """A state dict with the names and PyTorch shapes of the published file, random values."""
    state = {"fc.weight": rng.normal(size=(1008, 2048)), "fc.bias": np.zeros(1008)}
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            height, width, inputs, outputs = layer.kernel.shape
            # He's scale keeps the signal finite through the 94 layers.
            scale = np.sqrt(2.0 / (inputs * height * width))
            state[f"{layer.name}.weight"] = scale * rng.normal(
                size=(outputs, inputs, height, width)
            )
        elif isinstance(layer, keras.layers.BatchNormalization):
            size = layer.gamma.shape[0]
            state[f"{layer.name}.weight"] = rng.uniform(0.5, 1.5, size)
            state[f"{layer.name}.bias"] = rng.normal(0, 0.1, size)
            state[f"{layer.name}.running_mean"] = rng.normal(0, 0.1, size)
            state[f"{layer.name}.running_var"] = rng.uniform(0.5, 2.0, size)
    return {name: value.astype("float32") for name, value in state.items()}


def test_loads_the_published_layout_and_refuses_others():
    model = build_fid_inception()
    assert model.output_shape == (None, 2048)
    state = _published_layout(model, np.random.default_rng(0))
    # 94 convolutions with their batch norms, as in the 2015 graph.
    assert sum(name.endswith(".conv.weight") for name in state) == 94
    load_fid_inception_weights(model, state)
    kernel = keras.ops.convert_to_numpy(model.get_layer("Mixed_6b.branch7x7_2.conv").kernel)
    np.testing.assert_array_equal(
        kernel, state["Mixed_6b.branch7x7_2.conv.weight"].transpose(2, 3, 1, 0)
    )
    assert kernel.shape == (1, 7, 128, 128)
    variance = model.get_layer("Mixed_7c.branch_pool.bn").moving_variance
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(variance), state["Mixed_7c.branch_pool.bn.running_var"]
    )
    features = model.predict(np.random.default_rng(1).random((2, 32, 32, 3)), verbose=0)
    assert features.shape == (2, 2048) and np.isfinite(features).all()
    del state["Mixed_5b.branch1x1.bn.running_var"]
    state["Conv2d_1a_3x3.conv.weight"] = state["Conv2d_1a_3x3.conv.weight"][:16]
    with pytest.raises(ValueError, match="missing.*Mixed_5b.branch1x1.bn.running_var"):
        load_fid_inception_weights(model, state)
    with pytest.raises(ValueError, match=r"wrong shapes: \['Conv2d_1a_3x3.conv"):
        load_fid_inception_weights(model, state)


def test_a_local_file_that_is_not_there_is_named():
    with pytest.raises(FileNotFoundError, match="No Inception weights at /no/such.pth"):
        fid_inception("/no/such.pth")


def test_download_checks_the_hash(tmp_path):
    published = tmp_path / "published" / "weights-0.pth"
    published.parent.mkdir()
    shutil.copy(CHECKPOINT, published)
    digest = hashlib.sha256(published.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    path = fetch_weights(published.as_uri(), digest[:8], cache_dir=str(cache))
    assert path == str(cache / "keras_lord" / "weights-0.pth")
    assert open(path, "rb").read() == published.read_bytes()
    # Once there, the file is not downloaded again.
    published.unlink()
    assert fetch_weights(published.as_uri(), digest[:8], cache_dir=str(cache)) == path
    # A download that does not have the hash is removed; a file the user put there is kept.
    other = tmp_path / "published" / "weights-1.pth"
    shutil.copy(CHECKPOINT, other)
    with pytest.raises(ValueError, match="corrupt"):
        fetch_weights(other.as_uri(), "00000000", cache_dir=str(cache))
    assert not (cache / "keras_lord" / "weights-1.pth").exists()
    with pytest.raises(ValueError, match="move it away"):
        fetch_weights(published.as_uri(), "00000000", cache_dir=str(cache))
    assert os.path.exists(path)
    with pytest.raises(OSError, match="pass its path as `inception_weights`"):
        fetch_weights((tmp_path / "absent.pth").as_uri(), "00000000", cache_dir=str(cache))
