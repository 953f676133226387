import json

import numpy as np
import pytest

from keras_lord.data import LordData
from keras_lord.training_run import train_run
from keras_lord.utils.files import write_json


def tiny_data(size=32):
    images = np.zeros((4, size, size, 3), "uint8")
    return LordData(images=images, class_ids=np.array([0, 0, 1, 1]))


def test_bad_settings_fail_before_the_run_folder_is_touched(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"preset": "small", "epochs": 5}))
    (run / "notes.txt").write_text("the user's")
    before = {path.name: path.read_bytes() for path in run.iterdir()}
    with pytest.raises(ValueError, match="Unknown preset"):
        train_run(tiny_data(), run, preset="huge", force=True)
    with pytest.raises(ValueError, match="table_updates"):
        train_run(tiny_data(), run, table_updates="sparse", force=True)
    with pytest.raises(ValueError, match="content_initialization"):
        train_run(tiny_data(), run, content_initialization="umap", force=True)
    with pytest.raises(ValueError, match="checkpoint_interval_seconds"):
        train_run(tiny_data(), run, checkpoint_interval_seconds=-1.0, force=True)
    with pytest.raises(ValueError, match="Unknown stage-2 options"):
        train_run(tiny_data(), run, stage2_options={"shift": 2}, force=True)
    with pytest.raises(ValueError, match="encoder_shift"):
        train_run(tiny_data(), run, stage2_options={"encoder_shift": 40}, force=True)
    with pytest.raises(ValueError, match="content table"):
        train_run(
            tiny_data(),
            run,
            stage1_codes="semi_amortized",
            stage2_options={"class_content_decorrelation": 1.0},
            force=True,
        )
    # 20 is no multiple of 2**3, the small preset's upsampling.
    with pytest.raises(ValueError, match="multiples of 2"):
        train_run(tiny_data(20), run, force=True)
    assert {path.name: path.read_bytes() for path in run.iterdir()} == before
    fresh = tmp_path / "fresh"
    with pytest.raises(ValueError, match="Unknown preset"):
        train_run(tiny_data(), fresh, preset="huge")
    assert not fresh.exists(), "a failed start writes no run.json"


def test_write_json_never_leaves_a_partial_file(tmp_path):
    path = tmp_path / "summary.json"
    write_json(path, {"done": True})
    with pytest.raises(TypeError):
        write_json(path, {"done": object()})
    assert json.loads(path.read_text()) == {"done": True}
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]
