"""`keras-lord translate`: every registered method, its steps, and the input pairs."""

import numpy as np
import pytest
from PIL import Image

from keras_lord.cli import main
from keras_lord.translation import TRANSLATION_METHODS


class RecordingModel:
    """Stands in for a loaded model: records how `translate` is called."""

    image_shape = (8, 8, 3)

    def __init__(self):
        self.calls = []

    def translate(self, class_images, content_images, method="encoders", **options):
        self.calls.append((method, options, class_images.shape, content_images.shape))
        return np.full((len(class_images),) + self.image_shape, 0.5, "float32")


@pytest.fixture
def recording_model(monkeypatch):
    model = RecordingModel()
    monkeypatch.setattr("keras_lord.saving.load", lambda path: model)
    return model


@pytest.fixture
def image_pair(tmp_path):
    for name, shade in (("a.png", 40), ("b.png", 200)):
        Image.fromarray(np.full((8, 8, 3), shade, "uint8")).save(tmp_path / name)
    return ["--class-image", str(tmp_path / "a.png"), "--content-image", str(tmp_path / "b.png")]


@pytest.mark.parametrize(
    "options, method, passed",
    [
        ([], "encoders", {}),
        (["--method", "refine"], "refine", {"steps": 20}),
        (["--method", "refine", "--refine-steps", "3"], "refine", {"steps": 3}),
        (["--method", "optimize"], "optimize", {"steps": 200}),
        (["--method", "optimize", "--optimize-steps", "5"], "optimize", {"steps": 5}),
    ],
)
def test_each_method_gets_its_steps(recording_model, image_pair, tmp_path, options, method, passed):
    out = tmp_path / "c.png"
    assert main(["translate", "--model", "m", *image_pair, "--out", str(out), *options]) == 0
    assert recording_model.calls == [(method, passed, (1, 8, 8, 3), (1, 8, 8, 3))]
    assert np.asarray(Image.open(out)).shape == (8, 8, 3)


def test_every_registered_method_is_a_choice(recording_model, image_pair, tmp_path):
    for method in TRANSLATION_METHODS:
        command = ["translate", "--model", "m", *image_pair, "--out", str(tmp_path / "c.png")]
        assert main(command + ["--method", method]) == 0
    assert [call[0] for call in recording_model.calls] == list(TRANSLATION_METHODS)


def test_refine_in_the_batch_form(recording_model, tmp_path):
    np.savez(tmp_path / "classes.npz", imgs=np.zeros((3, 8, 8, 3), "uint8"))
    np.savez(tmp_path / "contents.npz", imgs=np.zeros((3, 8, 8, 3), "uint8"))
    command = ["translate", "--model", "m", "--class-images", str(tmp_path / "classes.npz")]
    command += ["--content-images", str(tmp_path / "contents.npz")]
    command += ["--out", str(tmp_path / "out.npz"), "--grid", str(tmp_path / "grid.png")]
    assert main(command + ["--method", "refine", "--refine-steps", "2"]) == 0
    # The translations, then the grid of every class image with every content image.
    assert [call[:3] for call in recording_model.calls] == [
        ("refine", {"steps": 2}, (3, 8, 8, 3)),
        ("refine", {"steps": 2}, (9, 8, 8, 3)),
    ]


def test_mixed_or_half_pairs_are_usage_errors(recording_model, image_pair, tmp_path, capsys):
    out = ["--out", str(tmp_path / "c.png")]
    for inputs in (image_pair[:2], [*image_pair, "--class-images", "x.npz"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["translate", "--model", "m", *inputs, *out])
        assert exit_info.value.code == 2
        assert "give --class-image and --content-image" in capsys.readouterr().err
    assert recording_model.calls == []
