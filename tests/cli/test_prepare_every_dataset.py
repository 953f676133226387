"""`keras-lord prepare NAME` for every registered dataset, on files in its publisher's layout."""

import csv
import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from keras_lord.cli import main
from keras_lord.data import LordData
from keras_lord.datasets import LOADERS
from keras_lord.datasets.samples import (
    write_anime_sample,
    write_cars3d_sample,
    write_celeba_sample,
    write_edges2shoes_sample,
    write_kth_sample,
    write_rafd_sample,
    write_smallnorb_sample,
)

SIZE = 16
# A user's own images: class name -> how many pictures of it.
OWN_CLASSES = {"cat": 4, "dog": 3, "fox": 5}


def _own_pictures(folder, sub_folders: bool) -> list:
    """Writes PNGs of varied sizes and shades; returns `(path relative to folder, class)`."""
    from PIL import Image

    written = []
    for shade, (name, count) in enumerate(OWN_CLASSES.items()):
        for index in range(count):
            relative = f"{name}/{index}.png" if sub_folders else f"images/{name}_{index}.png"
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            picture = np.full((20 + 3 * index, 24, 3), 60 * shade + 10 * index, "uint8")
            Image.fromarray(picture).save(path)
            written.append((relative, name))
    return written


def _write_folder(root) -> str:
    _own_pictures(root / "photos", sub_folders=True)
    return str(root / "photos")


def _write_csv(root) -> str:
    pictures = _own_pictures(root, sub_folders=False)
    path = root / "labels.csv"
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["file", "class", "content"])
        for index, (relative, name) in enumerate(pictures):
            writer.writerow([relative, name, f"pose{index % 2}"])
    return str(path)


@dataclasses.dataclass(frozen=True)
class Case:
    """How to write a dataset's sample, what to pass `prepare`, and what comes out."""

    write: Callable  # root folder -> the `--data-dir` to pass
    options: tuple  # further `prepare` options
    channels: int
    num_classes: int  # the loader's `num_classes`, held-out classes included
    classes_present: int  # distinct class ids of the sample's images, both splits
    has_content: bool


CASES = {
    "cars3d": Case(
        lambda root: write_cars3d_sample(root, num_cars=5),
        ("--held-out-classes", "2", "--seed", "1"),
        channels=3,
        num_classes=5,
        classes_present=5,
        has_content=True,
    ),
    "celeba": Case(
        lambda root: write_celeba_sample(root, identities=4, images_per_identity=2),
        ("--held-out-classes", "1"),
        channels=3,
        num_classes=4,
        classes_present=4,
        has_content=False,
    ),
    "edges2shoes": Case(
        lambda root: write_edges2shoes_sample(root, train_pairs=3, val_pairs=2, size=32),
        (),
        channels=3,
        num_classes=2,
        classes_present=2,
        has_content=True,
    ),
    "anime": Case(
        lambda root: write_anime_sample(root, count=6),
        ("--held-out-share", "0.3"),
        channels=3,
        num_classes=1,
        classes_present=1,
        has_content=False,
    ),
    # The sample's handwaving videos of d1 and d4 show persons 1, 2 and 3 of KTH's 25.
    "kth": Case(
        write_kth_sample,
        ("--actions", "handwaving", "--scenarios", "d1,d4", "--held-out-share", "0.2"),
        channels=1,
        num_classes=25,
        classes_present=3,
        has_content=False,
    ),
    # Angry, happy and surprised of RaFD's 8 expressions.
    "rafd": Case(
        lambda root: write_rafd_sample(root, subjects=1, angles=(90,)),
        ("--held-out-share", "0.5"),
        channels=3,
        num_classes=8,
        classes_present=3,
        has_content=False,
    ),
    # The 60 pairs of each part cover its grid; both parts: 10 instances x 2 elevations x
    # 2 lightings x 2 cameras.
    "smallnorb": Case(
        write_smallnorb_sample,
        (),
        channels=1,
        num_classes=80,
        classes_present=80,
        has_content=True,
    ),
    # 10 instances x 2 lightings x 2 cameras.
    "smallnorb_poses": Case(
        write_smallnorb_sample,
        ("--held-out-share", "0.25", "--seed", "2"),
        channels=1,
        num_classes=40,
        classes_present=40,
        has_content=True,
    ),
    "folder": Case(
        _write_folder,
        ("--held-out-share", "0.25"),
        channels=3,
        num_classes=len(OWN_CLASSES),
        classes_present=len(OWN_CLASSES),
        has_content=False,
    ),
    "csv": Case(
        _write_csv,
        ("--held-out-share", "0.25"),
        channels=3,
        num_classes=len(OWN_CLASSES),
        classes_present=len(OWN_CLASSES),
        has_content=True,
    ),
}


def test_every_registered_dataset_has_a_case():
    # A newly registered loader needs a case here.
    assert set(CASES) == set(LOADERS)


@pytest.mark.parametrize("name", list(CASES))
def test_prepare_reads_the_sample_in_the_publishers_layout(tmp_path, capsys, name):
    case = CASES[name]
    data_dir = case.write(tmp_path / "download")
    out = tmp_path / "prepared"
    command = ["prepare", name, "--data-dir", str(data_dir), "--out", str(out)]
    assert main(command + ["--size", str(SIZE), *case.options]) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out

    train = LordData.from_npz(out / "train.npz")
    test = LordData.from_npz(out / "test.npz")
    for part in (train, test):
        assert part.image_shape == (SIZE, SIZE, case.channels)
        assert part.num_samples > 0
        assert part.num_classes == case.num_classes
        assert (part.content_ids is not None) == case.has_content
    present = set(np.concatenate([train.class_ids, test.class_ids]).tolist())
    assert len(present) == case.classes_present
    assert present <= set(range(case.num_classes))

    assert (out / "dataset.json").exists()
    info = json.loads((out / "dataset.json").read_text())
    assert info["num_classes"] == case.num_classes
    assert info["train"]["images"] == train.num_samples
    assert info["test"]["images"] == test.num_samples
    assert info["request"]["name"] == name
    assert info["request"]["options"]["size"] == SIZE
    assert f"{train.num_samples} training images" in printed
    assert f"({case.num_classes} classes in all)" in printed


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    """Each dataset's sample, written once: `{name: (root, data_dir)}`."""
    root = tmp_path_factory.mktemp("downloads")
    return {name: (root / name, case.write(root / name)) for name, case in CASES.items()}


def _files(folder) -> list:
    return sorted(path for path in Path(folder).rglob("*") if path.is_file())


def _snapshot(folder) -> dict:
    return {str(path): path.read_bytes() for path in _files(folder)}


@pytest.mark.parametrize("name", list(CASES))
@settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    which=st.integers(0, 2**16),
    where=st.floats(0, 1),
    damage=st.sampled_from(["cut", "overwrite", "replace"]),
    noise=st.binary(min_size=1, max_size=64),
)
def test_damaged_publisher_files_prepare_whole_or_fail_in_one_line(
    downloads, tmp_path_factory, capsys, name, which, where, damage, noise
):
    """Fuzz: one file of the sample cut, overwritten in part, or replaced by noise."""
    case = CASES[name]
    pristine, data_dir = downloads[name]
    work = tmp_path_factory.mktemp("damaged")
    shutil.copytree(pristine, work / "download")
    data_dir = Path(str(data_dir).replace(str(pristine), str(work / "download")))
    target = _files(work / "download")[which % len(_files(work / "download"))]
    content = target.read_bytes()
    at = int(where * len(content))
    target.write_bytes(
        {
            "cut": content[:at],
            "overwrite": content[:at] + noise + content[at + len(noise) :],
            "replace": noise,
        }[damage]
    )
    before = _snapshot(work / "download")
    out = work / "prepared"
    command = ["prepare", name, "--data-dir", str(data_dir), "--out", str(out)]
    code = main(command + ["--size", str(SIZE), *case.options])
    error = capsys.readouterr().err
    assert _snapshot(work / "download") == before, "an input was changed"
    if code == 0:
        assert {path.name for path in out.iterdir()} == {"train.npz", "test.npz", "dataset.json"}
        assert LordData.from_npz(out / "train.npz").image_shape == (SIZE, SIZE, case.channels)
    else:
        assert code == 2 and "Traceback" not in error, error
        assert len(error.strip().splitlines()) == 1, error
        assert not out.exists() or not list(out.iterdir()), "a failed preparation left files"
