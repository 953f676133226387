"""`keras-lord prepare`: one dataset choice per registered loader, options by signature."""

import json

import numpy as np
import pytest

from keras_lord.cli import build_parser, main
from keras_lord.data import LordData
from keras_lord.datasets import LOADERS
from keras_lord.datasets.samples import write_rafd_sample


def test_every_registered_loader_is_a_dataset_choice():
    for name in LOADERS:
        arguments = build_parser().parse_args(["prepare", name, "--data-dir", "d", "--out", "o"])
        assert arguments.dataset == name
    with pytest.raises(SystemExit):
        build_parser().parse_args(["prepare", "no_such_set", "--data-dir", "d", "--out", "o"])


def test_prepare_rafd_from_the_published_layout(tmp_path, capsys):
    folder = write_rafd_sample(tmp_path / "RaFD")
    out = tmp_path / "rafd"
    command = ["prepare", "rafd", "--data-dir", folder, "--out", str(out), "--size", "16"]
    assert main(command + ["--held-out-share", "0.25", "--seed", "3"]) == 0
    assert "27 training images of 3 classes, 9 held-out images" in capsys.readouterr().out
    train = LordData.from_npz(out / "train.npz")
    test = LordData.from_npz(out / "test.npz")
    assert train.image_shape == (16, 16, 3) and train.num_classes == 8
    # angry, happy and surprised are RaFD's expressions 0, 4 and 7.
    assert set(np.concatenate([train.class_ids, test.class_ids])) == {0, 4, 7}
    request = json.loads((out / "dataset.json").read_text())["request"]
    assert request["options"] == {"size": 16, "seed": 3, "held_out": 0.25}


@pytest.mark.parametrize(
    "dataset, option, message",
    [
        ("rafd", ["--held-out-classes", "3"], "--held-out-classes is for cars3d and celeba"),
        ("rafd", ["--actions", "walking"], "--actions is for kth."),
        ("smallnorb", ["--held-out-share", "0.2"], "smallnorb holds out classes"),
    ],
)
def test_options_a_loader_does_not_take_are_refused(tmp_path, capsys, dataset, option, message):
    command = ["prepare", dataset, "--data-dir", str(tmp_path), "--out", str(tmp_path / "o")]
    assert main(command + option) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
