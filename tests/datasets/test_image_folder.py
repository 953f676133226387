"""A user's own images: a folder of class folders, and a CSV of files and labels."""

import numpy as np
import pytest
from PIL import Image

from keras_lord.datasets import from_csv, from_folder


def write_class_folders(root, broken=False):
    for class_name, value in (("alice", 30), ("bob", 200)):
        (root / class_name).mkdir(parents=True)
        for index in range(5):
            pixels = np.full((10, 14, 3), value + index, "uint8")
            Image.fromarray(pixels).save(root / class_name / f"{index}.png")
    if broken:
        (root / "bob" / "broken.jpg").write_bytes(b"not a jpeg")


def test_folder_of_class_folders(tmp_path):
    write_class_folders(tmp_path / "photos", broken=True)
    with pytest.raises(ValueError, match=r"broken.jpg.* Pass --skip-unreadable"):
        from_folder(tmp_path / "photos", size=8, verbose=False)
    splits = from_folder(
        tmp_path / "photos", size=8, held_out=0.2, skip_unreadable=True, verbose=False
    )
    assert splits.train.num_samples + splits.test.num_samples == 10
    assert splits.info["classes"] == ["alice", "bob"] and len(splits.info["skipped"]) == 1
    for data in (splits.train, splits.test):
        alice = data.class_ids == 0
        assert (data.images[alice] < 40).all() and (data.images[~alice] >= 200).all()


def test_csv_of_files_and_labels(tmp_path):
    write_class_folders(tmp_path / "photos")
    rows = ["file,class,content"] + [
        f"photos/{name}/{index}.png,{name},{index % 2}"
        for name in ("alice", "bob")
        for index in range(5)
    ]
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    splits = from_csv(tmp_path / "labels.csv", size=8, held_out=0.2, verbose=False)
    assert splits.train.num_classes == 2 and set(splits.train.content_ids) <= {0, 1}
    (tmp_path / "bad.csv").write_text("path,label\nx.png,a\n")
    with pytest.raises(ValueError, match="`file` and `class`"):
        from_csv(tmp_path / "bad.csv", verbose=False)
    (tmp_path / "gone.csv").write_text("file,class\nnowhere.png,a\n")
    with pytest.raises(FileNotFoundError, match="nowhere.png"):
        from_csv(tmp_path / "gone.csv", verbose=False)
