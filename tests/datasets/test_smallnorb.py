"""smallNORB from the published `.mat` parts: the official split and the poses split."""

import numpy as np
import pytest

from keras_lord.datasets import DatasetFileError, smallnorb, smallnorb_poses
from keras_lord.datasets.samples import write_smallnorb_sample


@pytest.fixture(scope="module")
def norb_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("smallnorb")
    write_smallnorb_sample(folder, 30)
    return folder


def test_smallnorb_official_split_and_factors(norb_folder):
    splits = smallnorb(norb_folder, size=12, verbose=False)
    assert splits.train.num_samples == 60 and splits.test.num_samples == 60  # two cameras
    train_classes, test_classes = set(splits.train.class_ids), set(splits.test.class_ids)
    assert not train_classes & test_classes, "instances differ between the official parts"
    assert splits.train.num_classes == len(train_classes | test_classes)
    for data in (splits.train, splits.test):
        assert data.images.shape[1:] == (12, 12, 1)
        first_camera = data.images[: data.num_samples // 2, 0, 0, 0]
        np.testing.assert_array_equal(first_camera, data.content_ids[: len(first_camera)] * 14)


def test_smallnorb_poses_holds_out_a_tenth(norb_folder):
    splits = smallnorb_poses(norb_folder, size=12, seed=3, verbose=False)
    assert splits.test.num_samples == 12 and splits.train.num_samples == 108
    assert splits.train.content_ids.max() < 162


def test_smallnorb_missing_part_names_it(norb_folder, tmp_path):
    for path in norb_folder.iterdir():
        if "testing-info" not in path.name:
            (tmp_path / path.name).write_bytes(path.read_bytes())
    with pytest.raises(DatasetFileError, match="testing-info"):
        smallnorb(tmp_path, verbose=False)
