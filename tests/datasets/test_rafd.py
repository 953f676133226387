"""RaFD: expressions as classes, the face crop and the camera angles."""

import numpy as np
import pytest
from PIL import Image

from keras_lord.datasets import rafd
from keras_lord.datasets.samples import write_rafd_sample


def test_rafd_expressions_crop_and_extras(tmp_path):
    write_rafd_sample(tmp_path)
    (tmp_path / "notes.txt").write_text("not a RaFD file")
    splits = rafd(tmp_path, size=16, held_out=0.25, verbose=False)
    assert splits.train.num_samples == 27 and splits.test.num_samples == 9
    assert splits.train.num_classes == 8
    assert splits.train.images.min() > 180, "the crop keeps the face box only"
    # angry, happy and surprised are RaFD's expressions 0, 4 and 7.
    assert set(splits.train.class_ids) | set(splits.test.class_ids) == {0, 4, 7}
    assert set(splits.train_extras["angle"]) | set(splits.test_extras["angle"]) == {45, 90}
    bad = tmp_path / "Rafd090_04_Caucasian_male_bored_frontal.jpg"
    Image.fromarray(np.zeros((1024, 681, 3), "uint8")).save(bad)
    with pytest.raises(ValueError, match="bored"):
        rafd(tmp_path, verbose=False)
