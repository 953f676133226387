"""KTH: frames of the chosen sequences of the action videos, and the published oddities."""

import json
import re
import shutil
import sys

import numpy as np
import pytest

from keras_lord.cli import main
from keras_lord.datasets import DatasetFileError, kth
from keras_lord.datasets.kth import read_sequences
from keras_lord.datasets.samples import KTH_SEQUENCES, write_kth_sample


@pytest.fixture(scope="module")
def kth_folder(tmp_path_factory):
    """`handwaving.zip`, `boxing.zip` and `00sequences.txt`, and the same videos extracted."""

    root = tmp_path_factory.mktemp("kth")
    write_kth_sample(root / "archives", archived=True)
    write_kth_sample(root / "extracted", archived=False)
    return root


# "both": the action zips and, in another folder, the videos extracted from them.
@pytest.mark.parametrize("form", ["archives", "extracted", "both"])
def test_kth_frames_of_the_chosen_sequences(kth_folder, form):
    path = kth_folder if form == "both" else kth_folder / form
    splits = kth(path, size=8, held_out=0.25, seed=3, verbose=False)
    expected = {  # (person, frame) of handwaving d4, the default
        (person, frame)
        for video, ranges in KTH_SEQUENCES.items()
        if video.endswith("handwaving_d4")
        for first, last in ranges
        for frame in range(first, last + 1)
        for person in [int(video[6:8])]
    }
    found = set()
    for data, extras in ((splits.train, splits.train_extras), (splits.test, splits.test_extras)):
        assert data.images.shape[1:] == (8, 8, 1) and data.images.dtype == np.uint8
        assert data.num_classes == 25
        np.testing.assert_array_equal(extras["action"], 2)
        np.testing.assert_array_equal(extras["scenario"], 4)
        np.testing.assert_array_equal(
            data.images[:, 4, 4, 0], 20 * (data.class_ids + 1) + extras["frame"]
        )
        found |= set(zip((data.class_ids + 1).tolist(), extras["frame"].tolist()))
    assert found == expected and splits.train.num_samples + splits.test.num_samples == 20
    assert splits.test.num_samples == 5  # a quarter, rounded
    both = kth(
        path,
        size=8,
        actions=["handwaving", "boxing"],
        scenarios="d4",
        crop="squash",
        verbose=False,
    )
    assert both.train.num_samples + both.test.num_samples == 20 + 3


def test_kth_through_prepare(kth_folder, tmp_path, capsys):
    out = tmp_path / "kth"
    main(
        [
            "prepare",
            "kth",
            "--data-dir",
            str(kth_folder / "archives"),
            "--out",
            str(out),
            "--size",
            "8",
            "--actions",
            "boxing",
            "--held-out-share",
            "0.34",
        ]
    )
    assert "2 training images of 1 classes, 1 held-out images" in capsys.readouterr().out
    info = json.loads((out / "dataset.json").read_text())
    assert info["actions"] == ["boxing"] and info["videos"] == 1
    with np.load(out / "train.npz") as train:
        assert train["imgs"].shape == (2, 8, 8, 1) and set(train["frame"]) <= {3, 4, 5}


def test_kth_damaged_missing_and_mismatched_files(kth_folder, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "kth"
    shutil.copytree(kth_folder / "extracted", folder)
    with pytest.raises(ValueError, match="no action \\['waving'\\]"):
        kth(folder, actions=("waving",), verbose=False)
    video = folder / "person02_handwaving_d4_uncomp.avi"
    whole = video.read_bytes()
    video.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match="person02_handwaving_d4_uncomp.avi.*cannot be read"):
        kth(folder, size=8, verbose=False)
    video.write_bytes(b"RIFF" + bytes(range(256)) * 8)
    with pytest.raises(ValueError, match="person02_handwaving_d4_uncomp.avi"):
        kth(folder, size=8, verbose=False)
    video.write_bytes(whole)
    (folder / "person04_handwaving_d4_uncomp.avi").write_bytes(whole)
    with pytest.raises(ValueError, match="lists no frames for person04_handwaving_d4"):
        kth(folder, size=8, verbose=False)
    (folder / "00sequences.txt").unlink()
    with pytest.raises(DatasetFileError, match="00sequences.txt.*csc.kth.se"):
        kth(folder, size=8, verbose=False)
    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.raises(ImportError, match="keras-lord\\[video\\]"):
        kth(folder, verbose=False)
    command = ["prepare", "kth", "--data-dir", str(folder), "--out", str(tmp_path / "out")]
    assert main(command) == 2 and not (tmp_path / "out").exists()
    assert "pip install 'keras-lord[video]'" in capsys.readouterr().err


def test_kth_sequences_read_as_published():
    """Lines as the published 00sequences.txt writes them, its irregular ones included."""
    text = (
        "Training:   person11, 12, 13, 14, 15, 16, 17, 18\n\n"
        "person01_boxing_d1\t\tframes\t1-95, 96-185, 186-245, 246-360\n"
        "person07_handclapping_d2    \tframes\t1-102, 103-248\n"
        "person07_jogging_d4\t\tframes\t1-64, 270-332, 194-264, 490-570\r\n"
        "person13_handclapping_d3\t*missing*\n"
    )
    assert read_sequences(text) == {
        "person01_boxing_d1": [(1, 95), (96, 185), (186, 245), (246, 360)],
        "person07_handclapping_d2": [(1, 102), (103, 248)],
        "person07_jogging_d4": [(1, 64), (270, 332), (194, 264), (490, 570)],
    }
    with pytest.raises(ValueError, match="lists no video's frames"):
        read_sequences("person13_handclapping_d3\t*missing*\n")


def test_kth_reads_the_boxing_video_the_publisher_cut_short(tmp_path, capsys):
    """The published person01_boxing_d4 declares 370 frames and holds 304 or 305."""
    sequences = {
        "person01_boxing_d4": [(1, 106), (107, 170), (171, 245), (246, 370)],
        "person02_boxing_d4": [(1, 12)],
    }
    write_kth_sample(tmp_path, archived=False, sequences=sequences)
    video = tmp_path / "person01_boxing_d4_uncomp.avi"
    whole = video.read_bytes()
    frames_start = whole.index(b"movi")
    frame_chunks = [chunk.start() for chunk in re.compile(b"00dc").finditer(whole, frames_start)]
    after_frame_305 = frame_chunks[305]
    # Cut between two frames (the file just ends) and inside frame 306 (the decoder fails).
    for cut in (after_frame_305, after_frame_305 + 1000):
        video.write_bytes(whole[:cut])
        splits = kth(tmp_path, size=8, actions="boxing", held_out=0.1, verbose=True)
        frames = np.concatenate([splits.train_extras["frame"], splits.test_extras["frame"]])
        people = np.concatenate([splits.train.class_ids, splits.test.class_ids])
        np.testing.assert_array_equal(np.sort(frames[people == 0]), np.arange(1, 306))
        assert splits.info["cut_short_as_published"] == {
            "person01_boxing_d4": "frames 306 - 370 are not in the file"
        }
        assert "person01_boxing_d4: frames 306 - 370 are not in the file" in capsys.readouterr().out
    video.write_bytes(whole[: frame_chunks[200]])
    with pytest.raises(ValueError, match="person01_boxing_d4_uncomp.avi.*200 frames decoded"):
        kth(tmp_path, size=8, actions="boxing", verbose=False)
    video.write_bytes(whole)
    splits = kth(tmp_path, size=8, actions="boxing", held_out=0.1, verbose=False)
    assert splits.train.num_samples + splits.test.num_samples == 370 + 12
    assert splits.info["cut_short_as_published"] == {}
