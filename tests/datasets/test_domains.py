"""The domain-translation datasets: Edges2Shoes and the anime faces."""

import tarfile

import numpy as np
import pytest

from keras_lord.datasets import anime, edges2shoes
from keras_lord.datasets.samples import write_anime_sample, write_edges2shoes_sample


def test_edges2shoes_halves_and_the_publishers_split(tmp_path):
    archive = write_edges2shoes_sample(tmp_path, train_pairs=4, val_pairs=2)
    splits = edges2shoes(archive, size=16, verbose=False)
    assert splits.train.num_samples == 8 and splits.test.num_samples == 4
    # Extracted next to the archive, into a folder of its own: each pair is read once, and
    # train/1_AB.jpg and val/1_AB.jpg stay two pairs.
    with tarfile.open(archive) as opened:
        opened.extractall(tmp_path / "edges2shoes_extracted", filter="data")
    both = edges2shoes(tmp_path, size=16, verbose=False)
    assert both.train.num_samples == 8 and both.test.num_samples == 4
    np.testing.assert_array_equal(both.train.images, splits.train.images)
    for data in (splits.train, splits.test):
        edges = data.class_ids == 0
        corners = data.images[:, 0, 0]
        assert (corners[edges] > 230).all() and (corners[~edges] < 40).all()
        assert sorted(data.content_ids[edges]) == sorted(data.content_ids[~edges])


def test_anime_faces_of_varied_sizes(tmp_path):
    write_anime_sample(tmp_path)
    (tmp_path / "cropped" / "99_2019.jpg").write_bytes(b"\xff\xd8 cut")
    with pytest.raises(ValueError, match="99_2019.jpg"):
        anime(tmp_path, size=16, verbose=False)
    (tmp_path / "cropped" / "99_2019.jpg").unlink()
    splits = anime(tmp_path, size=16, verbose=False)
    assert splits.train.num_samples == 9 and splits.test.num_samples == 1
    assert splits.train.images.shape[1:] == (16, 16, 3) and splits.info["years"][0] == "2000"
