"""Reproducible initial weights for networks built layer by layer."""

import itertools

import keras


def kernel_initializers(seed: int | None):
    """Makes a function that returns a fresh kernel initializer at each call.

    Args:
        seed: base seed; `None` gives Keras' unseeded `"glorot_uniform"`.

    Returns:
        A function of no arguments; with a seed, each call returns a `GlorotUniform` with a
        seed of its own, so layers do not share random streams.

    """
    counter = itertools.count()

    def next_initializer():
        if seed is None:
            return "glorot_uniform"
        return keras.initializers.GlorotUniform(seed=seed * 1000 + next(counter))

    return next_initializer
