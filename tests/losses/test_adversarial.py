import math

import numpy as np
from conftest import to_numpy
from keras import ops

from keras_lord.losses.adversarial import (
    discriminator_adversarial_loss,
    generator_adversarial_loss,
    r1_penalty,
)


def test_non_saturating_losses_by_value():
    zeros = np.zeros((4, 1), "float32")
    np.testing.assert_allclose(to_numpy(generator_adversarial_loss(zeros)), math.log(2), rtol=1e-6)
    np.testing.assert_allclose(
        to_numpy(discriminator_adversarial_loss(zeros, zeros)), 2 * math.log(2), rtol=1e-6
    )
    real, fake = np.array([[2.0], [-1.0]], "float32"), np.array([[0.5], [3.0]], "float32")
    softplus = lambda v: np.log1p(np.exp(v))  # noqa: E731
    np.testing.assert_allclose(
        to_numpy(discriminator_adversarial_loss(real, fake)),
        softplus(-real).mean() + softplus(fake).mean(),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        to_numpy(generator_adversarial_loss(fake)), softplus(-fake).mean(), rtol=1e-5
    )


def test_r1_penalty_is_the_squared_input_gradient_norm():
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(1, 3, 2, 2)).astype("float32")
    images = rng.uniform(size=(5, 3, 2, 2)).astype("float32")

    def linear(x):  # gradient `weights` for every image
        return ops.sum(x * weights, axis=(1, 2, 3))[:, None]

    np.testing.assert_allclose(
        to_numpy(r1_penalty(linear, images)), np.square(weights).sum(), rtol=1e-5
    )

    def quadratic(x):  # gradient 2x: the penalty is the mean of 4|x|^2
        return ops.sum(ops.square(x), axis=(1, 2, 3))[:, None]

    np.testing.assert_allclose(
        to_numpy(r1_penalty(quadratic, images)),
        (4 * np.square(images).sum(axis=(1, 2, 3))).mean(),
        rtol=1e-5,
    )
