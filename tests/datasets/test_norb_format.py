"""The NORB matrix format of the smallNORB files."""

import numpy as np
import pytest

from keras_lord.datasets import read_norb_matrix, write_norb_matrix


def test_norb_matrix_format_round_trip_and_damage():
    array = np.arange(24, dtype="int32").reshape(2, 3, 4)
    np.testing.assert_array_equal(read_norb_matrix(write_norb_matrix(array)), array)
    content = write_norb_matrix(np.zeros((4, 2, 5, 5), "uint8"))
    with pytest.raises(ValueError, match="cut short"):
        read_norb_matrix(content[:-7], "x-dat.mat")
    with pytest.raises(ValueError, match="not a NORB matrix"):
        read_norb_matrix(b"\x00" * 40, "x-dat.mat")
