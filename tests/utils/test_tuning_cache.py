import json

import keras_lord.backend
from keras_lord.utils.tuning_cache import TuningCache, machine_description


def test_this_machine_lists_no_accelerator():
    assert machine_description()["accelerators"] == []


def test_choices_are_kept_per_accelerator(tmp_path, monkeypatch):
    TuningCache("choices", directory=str(tmp_path)).put("shape", {"choice": "forward"})
    assert TuningCache("choices", directory=str(tmp_path)).get("shape") == {"choice": "forward"}

    # The same host computing on a GPU is another machine: nothing measured there yet.
    monkeypatch.setattr(keras_lord.backend, "accelerator_names", lambda: ["gpu:NVIDIA T4"])
    on_gpu = TuningCache("choices", directory=str(tmp_path))
    assert on_gpu.get("shape") is None
    on_gpu.put("shape", {"choice": "native"})
    machines = json.loads((tmp_path / "choices.json").read_text())
    assert sorted(m["machine"]["accelerators"] for m in machines.values()) == [
        [],
        ["gpu:NVIDIA T4"],
    ]
