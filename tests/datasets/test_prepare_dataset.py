"""`keras-lord prepare`: the reference layout, written once."""

import json

import pytest

from keras_lord.cli import main
from keras_lord.data import LordData
from keras_lord.datasets.samples import write_cars3d_sample

NUM_CARS = 5


@pytest.fixture(scope="module")
def cars_folder(tmp_path_factory):
    """`nips2015-analogy-data.tar.gz`, and the folder it extracts to."""
    root = tmp_path_factory.mktemp("cars3d")
    write_cars3d_sample(root, NUM_CARS)
    return root


def test_prepare_writes_the_reference_layout_once(cars_folder, tmp_path, capsys):
    arguments = ["prepare", "cars3d", "--data-dir", str(cars_folder / "extracted")]
    arguments += ["--held-out-classes", "2", "--out", str(tmp_path / "cars"), "--size", "8"]
    assert main(arguments) == 0
    train = LordData.from_npz(tmp_path / "cars" / "train.npz")
    test = LordData.from_npz(tmp_path / "cars" / "test.npz")
    assert train.num_classes == test.num_classes == NUM_CARS
    assert not set(train.class_ids) & set(test.class_ids)
    info = json.loads((tmp_path / "cars" / "dataset.json").read_text())
    assert info["train"]["images"] == train.num_samples and info["request"]["name"] == "cars3d"
    written = (tmp_path / "cars" / "train.npz").stat().st_mtime_ns
    (tmp_path / "cars" / ".test.npz.ab12cd34.partial.npz").write_bytes(b"cut off")
    assert main(arguments) == 0 and "nothing to do" in capsys.readouterr().out
    assert (tmp_path / "cars" / "train.npz").stat().st_mtime_ns == written
    assert not list((tmp_path / "cars").glob(".*partial*")), "a killed write's file is cleaned"
    assert main(arguments[:-1] + ["16"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["prepare", "cars3d", "--data-dir", str(tmp_path / "none"), "--out", "x"]) == 2
    assert "does not exist" in capsys.readouterr().err
