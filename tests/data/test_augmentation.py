import keras
import numpy as np
import pytest
from conftest import to_numpy

from keras_lord.data.augmentation import random_shift


def reflect_shift(image, dy, dx, max_shift):
    padded = np.pad(image, [[max_shift, max_shift], [max_shift, max_shift], [0, 0]], "reflect")
    height, width = image.shape[:2]
    return padded[dy : dy + height, dx : dx + width]


def test_each_image_is_a_reflected_shift_of_itself():
    images = np.random.default_rng(0).random((16, 9, 7, 3)).astype("float32")
    max_shift = 2
    shifted = to_numpy(random_shift(images, max_shift, keras.random.SeedGenerator(4)))
    assert shifted.shape == images.shape and shifted.dtype == np.float32
    offsets = []
    for image, output in zip(images, shifted):
        matches = [
            (dy, dx)
            for dy in range(2 * max_shift + 1)
            for dx in range(2 * max_shift + 1)
            if np.allclose(output, reflect_shift(image, dy, dx, max_shift), atol=1e-6)
        ]
        assert len(matches) == 1, matches
        offsets.append(matches[0])
    # Every image draws its own offsets.
    assert len(set(offsets)) > 4, offsets


def test_shifts_are_seeded_and_zero_is_the_identity():
    images = np.random.default_rng(1).random((8, 6, 6, 1)).astype("float32")
    first = to_numpy(random_shift(images, 1, keras.random.SeedGenerator(7)))
    again = to_numpy(random_shift(images, 1, keras.random.SeedGenerator(7)))
    np.testing.assert_array_equal(first, again)
    generator = keras.random.SeedGenerator(7)
    random_shift(images, 1, generator)
    assert not np.array_equal(to_numpy(random_shift(images, 1, generator)), first)
    assert random_shift(images, 0, generator) is images


@pytest.mark.parametrize("max_shift", [-1, 6])
def test_bad_shifts_are_refused(max_shift):
    with pytest.raises(ValueError, match="max_shift"):
        random_shift(np.zeros((1, 6, 8, 3), "float32"), max_shift, 0)
