"""Arguments that must be positive whole numbers: one message for every wrong value."""

import numpy as np
import pytest

from keras_lord import LordTrainer, StyleClusterLabeler
from keras_lord.utils.checks import positive_integer


@pytest.mark.parametrize("value", [3, 3.0, np.int64(3), np.float32(3.0)])
def test_whole_numbers_pass(value):
    assert positive_integer("n", value) == 3 and type(positive_integer("n", value)) is int


@pytest.mark.parametrize("value", [2.5, 0, -1, float("inf"), float("nan"), True, "3", None])
def test_anything_else_is_refused_by_name(value):
    with pytest.raises(ValueError, match=r"`n` must be a positive integer"):
        positive_integer("n", value)


def test_trainers_and_labelers_refuse_counts_that_are_not_whole():
    with pytest.raises(ValueError, match="`num_classes` must be a positive integer; got 2.5"):
        LordTrainer(num_classes=2.5, num_samples=4, preset="small")
    with pytest.raises(ValueError, match="`styles_per_class` must be a positive integer; got inf"):
        StyleClusterLabeler(styles_per_class=float("inf"))
