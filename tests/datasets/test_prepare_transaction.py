"""A preparation is one transaction: killed anywhere, it leaves the old result or nothing.

Also: one preparation per folder at a time, a fingerprint of every file read, an output
never inside its input or in place of a file it reads, and only keras-lord's own files
replaced.
"""

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import child_env
from PIL import Image

from keras_lord.cli import main
from keras_lord.data import LordData
from keras_lord.datasets.prepare import PreparedOtherwiseError, prepare_dataset
from keras_lord.utils.run_lock import RunLock, RunLockedError

# Kill points of a preparation replacing another (`kill_child.py`): each write, during
# and after its rename, and each deletion, before and after.
KILL_POINTS = (
    "during:dataset.pending",
    "after:dataset.pending",
    "remove:dataset.json",
    "removed:dataset.json",
    "during:train.npz",
    "after:train.npz",
    "during:test.npz",
    "after:test.npz",
    "during:dataset.json",
    "after:dataset.json",
    "remove:dataset.pending",
    "removed:dataset.pending",
)


def write_photos(root, classes=("alice", "bob", "carol"), images=4, side=12):
    for class_id, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for index in range(images):
            pixels = np.full((side, side + 2, 3), 40 * class_id + 5 * index, "uint8")
            Image.fromarray(pixels).save(root / name / f"{index}.png")
    return root


def prepare_command(photos, out, seed):
    command = ["prepare", "folder", "--data-dir", str(photos), "--out", str(out), "--size", "8"]
    return command + ["--seed", str(seed), "--held-out-share", "0.25"]


def arrays(folder) -> dict:
    loaded = {}
    for part in ("train", "test"):
        data = LordData.from_npz(Path(folder) / f"{part}.npz")
        loaded[part] = (data.images, data.class_ids)
    return loaded


def assert_same_arrays(expected, found):
    for part in ("train", "test"):
        for left, right in zip(expected[part], found[part]):
            np.testing.assert_array_equal(left, right, part)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """Photos, and their preparation with seed 0 and with seed 1."""
    root = tmp_path_factory.mktemp("prepared")
    photos = write_photos(root / "photos")
    for seed in (0, 1):
        assert main(prepare_command(photos, root / f"seed{seed}", seed)) == 0
    return root


def test_a_kill_anywhere_in_a_preparation_never_serves_a_mix(prepared, tmp_path):
    photos = prepared / "photos"
    old, new = arrays(prepared / "seed0"), arrays(prepared / "seed1")
    folders = {point: tmp_path / point.replace(":", "_") for point in KILL_POINTS}
    children = []
    for point, folder in folders.items():
        shutil.copytree(prepared / "seed0", folder)
        command = prepare_command(photos, folder, 1)
        children.append(
            subprocess.Popen(
                [sys.executable, str(Path(__file__).parents[1] / "kill_child.py"), point]
                + command
                + ["--force"],
                env=child_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
    for point, child in zip(folders, children):
        _, errors = child.communicate(timeout=300)
        assert child.returncode == -signal.SIGKILL, f"{point} not reached: {errors[-2000:]}"
    for point, folder in folders.items():
        # What a reader finds: one preparation whole (the old, or the new once its mark is
        # gone), or a refusal; never a mix.
        try:
            found = arrays(folder)
        except ValueError as error:
            assert "stopped before it finished" in str(error), point
            found = None
        if found is not None:
            try:
                assert_same_arrays(new, found)
            except AssertionError:
                assert_same_arrays(old, found)
            else:
                assert point == "removed:dataset.pending", point
                # Finished: another request needs --force, as for any preparation.
                assert main(prepare_command(photos, folder, 0)) == 2, point
                assert main(prepare_command(photos, folder, 1)) == 0, point
                continue
        # The old request again, without --force: the old preparation, whole.
        assert main(prepare_command(photos, folder, 0)) == 0, point
        assert_same_arrays(old, arrays(folder))
        assert sorted(path.name for path in folder.iterdir()) == [
            "dataset.json",
            "test.npz",
            "train.npz",
        ], point
        # And the interrupted request, finished: the same as never interrupted.
        assert main(prepare_command(photos, folder, 1) + ["--force"]) == 0
        assert_same_arrays(new, arrays(folder))


def test_one_preparation_per_folder_at_a_time(tmp_path):
    photos = write_photos(tmp_path / "photos")
    with RunLock(tmp_path / "out"):
        with pytest.raises(RunLockedError, match="in use"):
            prepare_dataset("folder", photos, tmp_path / "out", size=8, verbose=False)
    prepare_dataset("folder", photos, tmp_path / "out", size=8, verbose=False)
    assert not (tmp_path / "out" / "run.lock").exists()


def test_a_changed_image_listed_in_a_csv_is_noticed(tmp_path, capsys):
    photos = write_photos(tmp_path / "photos")
    rows = [f"photos/{p.parent.name}/{p.name},{p.parent.name}" for p in photos.glob("*/*.png")]
    (tmp_path / "labels.csv").write_text("file,class\n" + "\n".join(sorted(rows)) + "\n")
    command = ["prepare", "csv", "--data-dir", str(tmp_path / "labels.csv")]
    command += ["--out", str(tmp_path / "out"), "--size", "8", "--held-out-share", "0.25"]
    assert main(command) == 0
    assert main(command) == 0 and "nothing to do" in capsys.readouterr().out
    Image.fromarray(np.full((12, 14, 3), 255, "uint8")).save(photos / "bob" / "2.png")
    assert main(command) == 2 and "files changed" in capsys.readouterr().err
    assert main(command + ["--force"]) == 0
    data = {part: LordData.from_npz(tmp_path / "out" / f"{part}.npz") for part in ("train", "test")}
    assert any((part.images == 255).all(axis=(1, 2, 3)).any() for part in data.values())


def test_an_output_inside_the_input_or_in_place_of_it_is_refused(tmp_path, capsys):
    photos = write_photos(tmp_path / "photos")
    command = ["prepare", "folder", "--data-dir", str(photos), "--size", "8"]
    assert main(command + ["--out", str(photos / "prepared")]) == 2
    assert "inside --data-dir" in capsys.readouterr().err
    assert main(command + ["--out", str(photos / "prepared"), "--force"]) == 2
    assert sorted(path.name for path in photos.iterdir()) == ["alice", "bob", "carol"]
    (tmp_path / "labels.csv").write_text("file,class\nphotos/bob/1.png,bob\nphotos/bob/2.png,b\n")
    before = (tmp_path / "labels.csv").read_bytes()
    csv_command = ["prepare", "csv", "--data-dir", str(tmp_path / "labels.csv"), "--force"]
    assert main(csv_command + ["--out", str(tmp_path / "labels.csv")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert (tmp_path / "labels.csv").read_bytes() == before


def test_files_keras_lord_did_not_write_are_never_replaced(tmp_path, capsys):
    photos = write_photos(tmp_path / "photos")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "train.npz").write_bytes(b"the user's")
    command = ["prepare", "folder", "--data-dir", str(photos), "--out", str(tmp_path / "out")]
    for extra in ([], ["--force"]):
        assert main(command + extra) == 2
        assert "no keras-lord preparation wrote" in capsys.readouterr().err
    assert (tmp_path / "out" / "train.npz").read_bytes() == b"the user's"
    # A preparation's own files are replaced with --force, and only then.
    assert main(command + ["--out", str(tmp_path / "mine"), "--size", "8"]) == 0
    with pytest.raises(PreparedOtherwiseError):
        prepare_dataset("folder", photos, tmp_path / "mine", size=4, verbose=False)
    info = prepare_dataset("folder", photos, tmp_path / "mine", size=4, force=True, verbose=False)
    assert info["train"]["image_shape"] == [4, 4, 3]


@pytest.mark.parametrize(
    "rows, message",
    [
        ("file,class\na.png,x\nb.png,\n", r"labels.csv, line 3: no class"),
        ("file,class,content\na.png,x,1\nb.png,y\n", r"line 3: no content"),
        (
            "file,class\na.png,x\nb.png,y\na.png,x\n",
            r"line 4 lists 'a.png' again \(first on line 2\)",
        ),
        ("file,class\na.png,x\n./a.png,y\n", r"line 3 lists './a.png' again"),
        ("file,class\n", r"lists no images"),
    ],
)
def test_a_csv_row_without_labels_or_an_image_listed_twice_is_refused(tmp_path, rows, message):
    write_photos(tmp_path)
    for name in ("a.png", "b.png"):
        shutil.copy(tmp_path / "alice" / "0.png", tmp_path / name)
    (tmp_path / "labels.csv").write_text(rows)
    with pytest.raises(ValueError, match=message):
        prepare_dataset("csv", tmp_path / "labels.csv", tmp_path / "out", verbose=False)
    assert not (tmp_path / "out").exists()
