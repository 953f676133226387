"""Reading `torch.save` files without PyTorch: real files, both formats, and bad ones."""

import os
import pickle
import zipfile

import numpy as np
import pytest

from keras_lord.backbones.torch_checkpoint import read_torch_state_dict

FOLDER = os.path.join(os.path.dirname(__file__), "..", "data", "torch_checkpoints")


@pytest.mark.parametrize("name", ["zip_format.pth", "legacy_format.pth"])
def test_reads_what_pytorch_wrote(name):
    expected = np.load(os.path.join(FOLDER, "expected.npz"))
    state = read_torch_state_dict(os.path.join(FOLDER, name))
    assert list(state) == list(expected.files)
    for key in expected.files:
        assert state[key].dtype == expected[key].dtype, key
        np.testing.assert_array_equal(state[key], expected[key])
    assert state["0.weight"].shape == (4, 3, 3, 3)


def test_refuses_other_objects(tmp_path):
    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"w": os.getcwd}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="posix.getcwd|may hold only"):
        read_torch_state_dict(path)


def test_cut_off_and_inflated_files_are_refused(tmp_path):
    with open(os.path.join(FOLDER, "legacy_format.pth"), "rb") as file:
        data = file.read()
    cut = tmp_path / "cut.pth"
    cut.write_bytes(data[: len(data) - 40])
    with pytest.raises(ValueError, match="cut off"):
        read_torch_state_dict(cut)
    # A storage whose bytes disagree with the size its tensors declare.
    inflated = tmp_path / "inflated.pth"
    with zipfile.ZipFile(os.path.join(FOLDER, "zip_format.pth")) as source:
        with zipfile.ZipFile(inflated, "w") as target:
            for item in source.infolist():
                content = source.read(item)
                if item.filename.endswith("/data/0"):
                    content = content[:-4]
                target.writestr(item, content)
    with pytest.raises(ValueError, match="declare"):
        read_torch_state_dict(inflated)
    other = tmp_path / "notes.txt"
    other.write_text("not weights")
    with pytest.raises(ValueError, match="not a PyTorch checkpoint"):
        read_torch_state_dict(other)
