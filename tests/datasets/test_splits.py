"""Splitting a dataset's rows into training and held-out parts."""

import numpy as np

from keras_lord.datasets.splits import keep_rows_in_place, split_by_rows


def test_split_compacts_training_rows_in_place():
    rng = np.random.default_rng(0)
    for count, chunk, held_out in ((10, 3, 0.5), (1000, 7, 0.1), (64, 8, 0.9), (37, 1, 0.3)):
        for _ in range(10):
            array = rng.integers(0, 255, (count, 2, 2, 1), dtype="uint8")
            rows = rng.random(count) >= held_out
            rows[0] = True
            expected = array[rows].copy()
            kept = keep_rows_in_place(array, rows, chunk)
            np.testing.assert_array_equal(kept, expected)
            assert np.shares_memory(kept, array)
    images = np.arange(6, dtype="uint8").repeat(4).reshape(6, 2, 2, 1)
    test_rows = np.array([False, True, False, False, True, False])
    splits = split_by_rows(images.copy(), np.arange(6), None, test_rows, 6, {})
    np.testing.assert_array_equal(splits.train.images[:, 0, 0, 0], [0, 2, 3, 5])
    np.testing.assert_array_equal(splits.test.images[:, 0, 0, 0], [1, 4])
    np.testing.assert_array_equal(splits.train.class_ids, [0, 2, 3, 5])
