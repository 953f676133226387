"""Cars3D: the archive of `.mat` meshes, extracted or not, and damaged or missing files."""

import numpy as np
import pytest

from keras_lord.datasets import DatasetFileError, cars3d
from keras_lord.datasets.samples import mat_file, write_cars3d_sample

NUM_CARS = 5


@pytest.fixture(scope="module")
def cars_folder(tmp_path_factory):
    """`nips2015-analogy-data.tar.gz`, and the folder it extracts to."""
    root = tmp_path_factory.mktemp("cars3d")
    write_cars3d_sample(root, NUM_CARS)
    return root


# "both": the folder holding the archive and, in a folder of its own, its extracted files:
# each car is read once.
@pytest.mark.parametrize("form", ["archive", "extracted", "both"])
def test_cars3d_reads_every_view_of_every_car(cars_folder, form):
    path = {
        "archive": cars_folder / "nips2015-analogy-data.tar.gz",
        "extracted": cars_folder / "extracted",
        "both": cars_folder,
    }[form]
    splits = cars3d(path, size=8, held_out=2, seed=1, verbose=False)
    held_out = splits.info["held_out_classes"]
    assert len(held_out) == 2 and splits.train.num_classes == NUM_CARS
    assert set(np.unique(splits.test.class_ids)) == set(held_out)
    assert not set(np.unique(splits.train.class_ids)) & set(held_out)
    assert splits.train.num_samples == 3 * 96 and splits.test.num_samples == 2 * 96
    for data in (splits.train, splits.test):
        pixels = data.images[:, 0, 0].astype(int)
        np.testing.assert_array_equal(pixels[:, 0], data.class_ids * 40)
        np.testing.assert_array_equal(pixels[:, 1], (data.content_ids % 24) * 10)
        np.testing.assert_array_equal(pixels[:, 2], (data.content_ids // 24) * 60)
    again = cars3d(path, size=8, held_out=2, seed=1, verbose=False)
    assert again.info["held_out_classes"] == held_out, "a seeded split is the same split"


def test_cars3d_damaged_and_missing_files(tmp_path, cars_folder):
    with pytest.raises(DatasetFileError, match="scottreed"):
        cars3d(tmp_path, verbose=False)
    cars = tmp_path / "data" / "cars"
    cars.mkdir(parents=True)
    good = (cars_folder / "extracted" / "data" / "cars" / "car_001_mesh.mat").read_bytes()
    (cars / "car_001_mesh.mat").write_bytes(good[: len(good) // 3])
    with pytest.raises(ValueError, match="car_001_mesh.mat"):
        cars3d(tmp_path, verbose=False)
    (cars / "car_001_mesh.mat").write_bytes(mat_file(other=np.zeros(3)))
    with pytest.raises(ValueError, match="no `im` array"):
        cars3d(tmp_path, verbose=False)
    archive = (cars_folder / "nips2015-analogy-data.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(archive[: len(archive) // 2])
    with pytest.raises(ValueError, match="cut.tar.gz"):
        cars3d(tmp_path / "cut.tar.gz", verbose=False)
