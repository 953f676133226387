"""The dataset loaders on small files written in each publisher's own layout and format."""

import io
import json
import re
import tarfile

import numpy as np
import pytest
from PIL import Image

from keras_lord.cli import main
from keras_lord.data import LordData
from keras_lord.datasets import (
    DatasetFileError,
    cars3d,
    from_csv,
    from_folder,
    read_norb_matrix,
    smallnorb,
    smallnorb_poses,
    write_norb_matrix,
)
from keras_lord.datasets.samples import (
    KTH_SEQUENCES,
    mat_file,
    smallnorb_part,
    write_anime_sample,
    write_cars3d_sample,
    write_celeba_sample,
    write_edges2shoes_sample,
    write_kth_sample,
    write_rafd_sample,
    write_smallnorb_sample,
)

NUM_CARS = 5


@pytest.fixture(scope="module")
def cars_folder(tmp_path_factory):
    """`nips2015-analogy-data.tar.gz`, and the folder it extracts to."""
    root = tmp_path_factory.mktemp("cars3d")
    write_cars3d_sample(root, NUM_CARS)
    return root


# "both": the folder holding the archive and, in a folder of its own, its extracted files:
# each car is read once.
@pytest.mark.parametrize("form", ["archive", "extracted", "both"])
def test_cars3d_reads_every_view_of_every_car(cars_folder, form):
    path = {
        "archive": cars_folder / "nips2015-analogy-data.tar.gz",
        "extracted": cars_folder / "extracted",
        "both": cars_folder,
    }[form]
    splits = cars3d(path, size=8, held_out=2, seed=1, verbose=False)
    held_out = splits.info["held_out_classes"]
    assert len(held_out) == 2 and splits.train.num_classes == NUM_CARS
    assert set(np.unique(splits.test.class_ids)) == set(held_out)
    assert not set(np.unique(splits.train.class_ids)) & set(held_out)
    assert splits.train.num_samples == 3 * 96 and splits.test.num_samples == 2 * 96
    for data in (splits.train, splits.test):
        pixels = data.images[:, 0, 0].astype(int)
        np.testing.assert_array_equal(pixels[:, 0], data.class_ids * 40)
        np.testing.assert_array_equal(pixels[:, 1], (data.content_ids % 24) * 10)
        np.testing.assert_array_equal(pixels[:, 2], (data.content_ids // 24) * 60)
    again = cars3d(path, size=8, held_out=2, seed=1, verbose=False)
    assert again.info["held_out_classes"] == held_out, "a seeded split is the same split"


def test_cars3d_damaged_and_missing_files(tmp_path, cars_folder):
    with pytest.raises(DatasetFileError, match="scottreed"):
        cars3d(tmp_path, verbose=False)
    cars = tmp_path / "data" / "cars"
    cars.mkdir(parents=True)
    good = (cars_folder / "extracted" / "data" / "cars" / "car_001_mesh.mat").read_bytes()
    (cars / "car_001_mesh.mat").write_bytes(good[: len(good) // 3])
    with pytest.raises(ValueError, match="car_001_mesh.mat"):
        cars3d(tmp_path, verbose=False)
    (cars / "car_001_mesh.mat").write_bytes(mat_file(other=np.zeros(3)))
    with pytest.raises(ValueError, match="no `im` array"):
        cars3d(tmp_path, verbose=False)
    archive = (cars_folder / "nips2015-analogy-data.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(archive[: len(archive) // 2])
    with pytest.raises(ValueError, match="cut.tar.gz"):
        cars3d(tmp_path / "cut.tar.gz", verbose=False)


@pytest.fixture(scope="module")
def norb_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("smallnorb")
    write_smallnorb_sample(folder, 30)
    return folder


def test_norb_matrix_format_round_trip_and_damage():
    array = np.arange(24, dtype="int32").reshape(2, 3, 4)
    np.testing.assert_array_equal(read_norb_matrix(write_norb_matrix(array)), array)
    content = write_norb_matrix(np.zeros((4, 2, 5, 5), "uint8"))
    with pytest.raises(ValueError, match="cut short"):
        read_norb_matrix(content[:-7], "x-dat.mat")
    with pytest.raises(ValueError, match="not a NORB matrix"):
        read_norb_matrix(b"\x00" * 40, "x-dat.mat")


def test_smallnorb_official_split_and_factors(norb_folder):
    splits = smallnorb(norb_folder, size=12, verbose=False)
    assert splits.train.num_samples == 60 and splits.test.num_samples == 60  # two cameras
    train_classes, test_classes = set(splits.train.class_ids), set(splits.test.class_ids)
    assert not train_classes & test_classes, "instances differ between the official parts"
    assert splits.train.num_classes == len(train_classes | test_classes)
    for data in (splits.train, splits.test):
        assert data.images.shape[1:] == (12, 12, 1)
        first_camera = data.images[: data.num_samples // 2, 0, 0, 0]
        np.testing.assert_array_equal(first_camera, data.content_ids[: len(first_camera)] * 14)


def test_smallnorb_poses_holds_out_a_tenth(norb_folder):
    splits = smallnorb_poses(norb_folder, size=12, seed=3, verbose=False)
    assert splits.test.num_samples == 12 and splits.train.num_samples == 108
    assert splits.train.content_ids.max() < 162


def test_smallnorb_missing_part_names_it(norb_folder, tmp_path):
    for path in norb_folder.iterdir():
        if "testing-info" not in path.name:
            (tmp_path / path.name).write_bytes(path.read_bytes())
    with pytest.raises(DatasetFileError, match="testing-info"):
        smallnorb(tmp_path, verbose=False)


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
    with pytest.raises(ValueError, match="broken.jpg"):
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


def test_prepare_writes_the_reference_layout_once(cars_folder, tmp_path, capsys):
    arguments = ["prepare", "cars3d", "--data-dir", str(cars_folder / "extracted")]
    arguments += ["--held-out-classes", "2", "--out", str(tmp_path / "cars"), "--size", "8"]
    assert main(arguments) == 0
    train = LordData.from_npz(tmp_path / "cars" / "train.npz")
    test = LordData.from_npz(tmp_path / "cars" / "test.npz")
    assert train.num_classes == test.num_classes == NUM_CARS
    assert not set(train.class_ids) & set(test.class_ids)
    info = json.loads((tmp_path / "cars" / "dataset.json").read_text())
    assert info["train"]["images"] == train.num_samples and info["request"]["name"] == "cars3d"
    written = (tmp_path / "cars" / "train.npz").stat().st_mtime_ns
    (tmp_path / "cars" / ".test.npz.ab12cd34.partial.npz").write_bytes(b"cut off")
    assert main(arguments) == 0 and "nothing to do" in capsys.readouterr().out
    assert (tmp_path / "cars" / "train.npz").stat().st_mtime_ns == written
    assert not list((tmp_path / "cars").glob(".*partial*")), "a killed write's file is cleaned"
    assert main(arguments[:-1] + ["16"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["prepare", "cars3d", "--data-dir", str(tmp_path / "none"), "--out", "x"]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.fixture(scope="module")
def celeba_folder(tmp_path_factory):
    """CelebA's layout for 6 identities of 3 images each."""
    folder = tmp_path_factory.mktemp("celeba")
    write_celeba_sample(folder)
    return folder


def test_celeba_identities_crop_and_extras(celeba_folder):
    from keras_lord.datasets import celeba

    splits = celeba(celeba_folder, size=16, held_out=2, verbose=False)
    assert splits.train.num_samples == 12 and splits.test.num_samples == 6
    assert splits.train.num_classes == 6
    assert not set(splits.train.class_ids) & set(splits.test.class_ids)
    for data in (splits.train, splits.test):
        # The crop keeps the centre square only: the identity's shade, to JPEG rounding.
        np.testing.assert_allclose(
            data.images.reshape(data.num_samples, -1).mean(1), 40 * data.class_ids, atol=3
        )
    landmarks = splits.train_extras["landmarks"]
    np.testing.assert_allclose(landmarks[0, 0], [0, 0])  # the crop's corner
    np.testing.assert_allclose(landmarks[0, 3], [0, 16])
    assert splits.train_extras["attributes"].shape == (12, 40)
    assert set(np.unique(splits.train_extras["attributes"])) == {-1, 1}
    assert splits.info["held_out_identities"] and len(splits.info["held_out_identities"]) == 2


def test_celeba_from_the_zip_and_with_a_missing_image(celeba_folder, tmp_path):
    import shutil

    from keras_lord.datasets import celeba

    shutil.copy(celeba_folder / "img_align_celeba.zip", tmp_path)
    shutil.copytree(celeba_folder / "Anno", tmp_path / "Anno")
    splits = celeba(tmp_path, size=16, held_out=2, verbose=False)
    assert splits.train.num_samples + splits.test.num_samples == 18
    assert "attributes" in splits.train_extras and "partition" not in splits.train_extras
    with open(tmp_path / "Anno" / "identity_CelebA.txt", "a") as file:
        file.write("999999.jpg 1\n")
    with pytest.raises(ValueError, match="999999"):
        celeba(tmp_path, size=16, held_out=2, verbose=False)
    (tmp_path / "Anno" / "identity_CelebA.txt").unlink()
    with pytest.raises(DatasetFileError, match="identity_CelebA.txt"):
        celeba(tmp_path, verbose=False)


def test_celeba_as_kaggle_has_it(celeba_folder, tmp_path):
    """Kaggle's copy: a doubled image folder, .csv annotations and no identities."""
    import shutil

    from keras_lord.datasets import celeba

    write_celeba_sample(tmp_path, layout="kaggle")
    with pytest.raises(DatasetFileError, match="identity_CelebA.txt.*Kaggle's leave it out"):
        celeba(tmp_path, verbose=False)
    shutil.copy(celeba_folder / "Anno" / "identity_CelebA.txt", tmp_path)
    kaggle = celeba(tmp_path, size=16, held_out=2, verbose=False)
    published = celeba(celeba_folder, size=16, held_out=2, verbose=False)
    for split in ("train", "test"):
        np.testing.assert_array_equal(
            getattr(kaggle, split).class_ids, getattr(published, split).class_ids
        )
        kaggle_extras, published_extras = (
            getattr(splits, f"{split}_extras") for splits in (kaggle, published)
        )
        assert set(kaggle_extras) == {"attributes", "landmarks", "partition"}
        assert set(published_extras) == set(kaggle_extras)
        for name, values in kaggle_extras.items():
            np.testing.assert_array_equal(values, published_extras[name])
    (tmp_path / "list_landmarks_align_celeba.csv").write_text("image_id,lefteye_x\n000001.jpg,69\n")
    with pytest.raises(ValueError, match="list_landmarks_align_celeba.csv, line 2: 1 values"):
        celeba(tmp_path, size=16, held_out=2, verbose=False)
    with pytest.raises(ValueError, match="layout must be"):
        write_celeba_sample(tmp_path / "other", layout="drive")


def test_edges2shoes_halves_and_the_publishers_split(tmp_path):
    from keras_lord.datasets import edges2shoes

    archive = write_edges2shoes_sample(tmp_path, train_pairs=4, val_pairs=2)
    splits = edges2shoes(archive, size=16, verbose=False)
    assert splits.train.num_samples == 8 and splits.test.num_samples == 4
    # Extracted next to the archive, into a folder of its own: each pair is read once, and
    # train/1_AB.jpg and val/1_AB.jpg stay two pairs.
    with tarfile.open(archive) as opened:
        opened.extractall(tmp_path / "edges2shoes_extracted", filter="data")
    both = edges2shoes(tmp_path, size=16, verbose=False)
    assert both.train.num_samples == 8 and both.test.num_samples == 4
    np.testing.assert_array_equal(both.train.images, splits.train.images)
    for data in (splits.train, splits.test):
        edges = data.class_ids == 0
        corners = data.images[:, 0, 0]
        assert (corners[edges] > 230).all() and (corners[~edges] < 40).all()
        assert sorted(data.content_ids[edges]) == sorted(data.content_ids[~edges])


def test_anime_faces_of_varied_sizes(tmp_path):
    from keras_lord.datasets import anime

    write_anime_sample(tmp_path)
    (tmp_path / "cropped" / "99_2019.jpg").write_bytes(b"\xff\xd8 cut")
    with pytest.raises(ValueError, match="99_2019.jpg"):
        anime(tmp_path, size=16, verbose=False)
    (tmp_path / "cropped" / "99_2019.jpg").unlink()
    splits = anime(tmp_path, size=16, verbose=False)
    assert splits.train.num_samples == 9 and splits.test.num_samples == 1
    assert splits.train.images.shape[1:] == (16, 16, 3) and splits.info["years"][0] == "2000"


def test_rafd_expressions_crop_and_extras(tmp_path):
    from keras_lord.datasets import rafd

    write_rafd_sample(tmp_path)
    (tmp_path / "notes.txt").write_text("not a RaFD file")
    splits = rafd(tmp_path, size=16, held_out=0.25, verbose=False)
    assert splits.train.num_samples == 27 and splits.test.num_samples == 9
    assert splits.train.num_classes == 8
    assert splits.train.images.min() > 180, "the crop keeps the face box only"
    # angry, happy and surprised are RaFD's expressions 0, 4 and 7.
    assert set(splits.train.class_ids) | set(splits.test.class_ids) == {0, 4, 7}
    assert set(splits.train_extras["angle"]) | set(splits.test_extras["angle"]) == {45, 90}
    bad = tmp_path / "Rafd090_04_Caucasian_male_bored_frontal.jpg"
    Image.fromarray(np.zeros((1024, 681, 3), "uint8")).save(bad)
    with pytest.raises(ValueError, match="bored"):
        rafd(tmp_path, verbose=False)


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
    from keras_lord.datasets import kth

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
    import shutil
    import sys

    from keras_lord.datasets import kth

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
    from keras_lord.datasets.kth import read_sequences

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
    from keras_lord.datasets import kth

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


# The loaders are NumPy and TFDS alone; one backend's run covers them.
tfds_only_once = pytest.mark.skipif(
    __import__("keras").backend.backend() != "tensorflow",
    reason="TFDS reading does not depend on the Keras backend; it runs under TensorFlow",
)


def store_tfds(name, version, features, splits, data_dir):
    import tensorflow_datasets as tfds

    tfds.dataset_builders.store_as_tfds_dataset(
        name,
        version,
        tfds.features.FeaturesDict(features),
        {split: list(enumerate(examples)) for split, examples in splits.items()},
        data_dir=str(data_dir),
        disable_shuffling=True,
    )


@pytest.fixture(scope="module")
def tfds_dir(tmp_path_factory):
    """A TFDS data dir holding `smallnorb` (from `smallnorb_part`) and `celeb_a` 2.1.0 as
    `tfds build` leaves them: `<name>/<version>/` with `dataset_info.json`, `features.json`
    and TFRecord files."""
    import tensorflow_datasets as tfds

    root = tmp_path_factory.mktemp("tensorflow_datasets")
    label = tfds.features.ClassLabel
    norb = {}
    for index, (split, part) in enumerate((("train", "training"), ("test", "testing"))):
        arrays = smallnorb_part(part, 30, index)
        norb[split] = [
            {
                "image": arrays["dat"][row, 0, :, :, None],
                "image2": arrays["dat"][row, 1, :, :, None],
                "label_category": arrays["cat"][row],
                "instance": arrays["info"][row, 0],
                "label_elevation": arrays["info"][row, 1],
                "label_azimuth": arrays["info"][row, 2] // 2,
                "label_lighting": arrays["info"][row, 3],
            }
            for row in range(30)
        ]
    image = tfds.features.Image(shape=(12, 12, 1))
    store_tfds(
        "smallnorb",
        "2.0.0",
        {
            "image": image,
            "image2": image,
            "label_category": label(num_classes=5),
            "instance": label(num_classes=10),
            "label_elevation": label(num_classes=9),
            "label_azimuth": label(num_classes=18),
            "label_lighting": label(num_classes=6),
        },
        norb,
        root,
    )
    faces = {"train": [], "validation": [], "test": []}
    for index in range(18):
        face = np.full((218, 178, 3), 20, "uint8")
        face[45:173, 25:153] = 40 * (index // 3)
        faces[("train", "validation", "test")[index % 3]].append(
            {
                "image": face,
                "landmarks": {
                    f"{point}_{axis}": value
                    for point, x, y in (
                        ("lefteye", 25, 45),
                        ("righteye", 153, 45),
                        ("nose", 89, 109),
                        ("leftmouth", 25, 173),
                        ("rightmouth", 153, 173),
                    )
                    for axis, value in (("x", x), ("y", y))
                },
                "attributes": {
                    f"attribute_{bit:02d}": bool((index >> bit) & 1) for bit in range(40)
                },
                "identity": {"Identity_No": 100 + index // 3},
            }
        )
    store_tfds(
        "celeb_a",
        "2.1.0",
        {
            "image": tfds.features.Image(shape=(218, 178, 3), encoding_format="jpeg"),
            "landmarks": {
                f"{point}_{axis}": np.int64
                for point in ("lefteye", "righteye", "nose", "leftmouth", "rightmouth")
                for axis in "xy"
            },
            "attributes": {f"attribute_{bit:02d}": np.bool_ for bit in range(40)},
            "identity": {"Identity_No": np.int64},
        },
        faces,
        root,
    )
    return root


@tfds_only_once
def test_tfds_smallnorb_reads_as_the_published_files(tfds_dir, norb_folder):
    published = smallnorb(norb_folder, size=12, verbose=False)
    for path in (tfds_dir, tfds_dir / "smallnorb", tfds_dir / "smallnorb" / "2.0.0"):
        prepared = smallnorb(path, size=12, verbose=False)
        assert prepared.info["source"].startswith("TFDS smallnorb")
        for mine, theirs in ((prepared.train, published.train), (prepared.test, published.test)):
            np.testing.assert_array_equal(mine.images, theirs.images)
            np.testing.assert_array_equal(mine.class_ids, theirs.class_ids)
            np.testing.assert_array_equal(mine.content_ids, theirs.content_ids)
    poses = smallnorb_poses(tfds_dir, size=12, seed=3, verbose=False)
    assert poses.test.num_samples == 12 and poses.train.content_ids.max() < 162


@tfds_only_once
def test_tfds_celeb_a_identities_extras_and_partition(tfds_dir, tmp_path):
    from keras_lord.datasets import celeba

    splits = celeba(tfds_dir, size=16, held_out=2, seed=0, verbose=False)
    assert splits.train.num_samples == 12 and splits.test.num_samples == 6
    assert len(splits.info["held_out_identities"]) == 2
    for data, extras in ((splits.train, splits.train_extras), (splits.test, splits.test_extras)):
        np.testing.assert_allclose(
            data.images.reshape(data.num_samples, -1).mean(1), 40 * data.class_ids, atol=3
        )
        # Image i is of identity i // 3 and in partition i % 3; its attribute k is bit k of
        # i, +1 / -1 as in list_attr_celeba.txt.
        index = 3 * data.class_ids + extras["partition"]
        bits = (index[:, None] >> np.arange(40)) & 1
        np.testing.assert_array_equal(extras["attributes"], np.where(bits, 1, -1))
        np.testing.assert_allclose(extras["landmarks"][:, 0], 0)
        np.testing.assert_allclose(extras["landmarks"][:, 3], [[0, 16]] * data.num_samples)
    partition = np.concatenate([splits.train_extras["partition"], splits.test_extras["partition"]])
    assert np.bincount(partition).tolist() == [6, 6, 6]
    out = tmp_path / "celeba"
    main(
        [
            "prepare",
            "celeba",
            "--data-dir",
            str(tfds_dir / "celeb_a"),
            "--out",
            str(out),
            "--size",
            "16",
            "--held-out-classes",
            "2",
        ]
    )
    with np.load(out / "train.npz") as train:
        assert train["imgs"].shape == (12, 16, 16, 3) and train["attributes"].shape == (12, 40)


@tfds_only_once
def test_tfds_damaged_records_and_missing_split(tfds_dir, tmp_path):
    import shutil

    copy = tmp_path / "smallnorb" / "2.0.0"
    shutil.copytree(tfds_dir / "smallnorb" / "2.0.0", copy)
    record = next(copy.glob("*-train.tfrecord*"))
    record.write_bytes(record.read_bytes()[:-40])
    with pytest.raises(ValueError, match="cannot be read as a TFDS dataset"):
        smallnorb(tmp_path, size=12, verbose=False)
    for path in copy.glob("*-test.tfrecord*"):
        path.unlink()
    info = json.loads((copy / "dataset_info.json").read_text())
    info["splits"] = [split for split in info["splits"] if split["name"] != "test"]
    (copy / "dataset_info.json").write_text(json.dumps(info))
    shutil.copy(next((tfds_dir / "smallnorb" / "2.0.0").glob("*-train.tfrecord*")), record)
    with pytest.raises(DatasetFileError, match="no 'test' split"):
        smallnorb(tmp_path, size=12, verbose=False)


def test_celeba_png_set(celeba_folder, tmp_path):
    import shutil

    from keras_lord.datasets import celeba

    (tmp_path / "img_align_celeba_png").mkdir()
    for index in range(18):
        face = np.full((218, 178, 3), 20, "uint8")
        face[45:173, 25:153] = 40 * (index // 3)
        Image.fromarray(face).save(tmp_path / "img_align_celeba_png" / f"{index + 1:06d}.png")
    shutil.copytree(celeba_folder / "Anno", tmp_path / "Anno")
    splits = celeba(tmp_path, size=16, held_out=2, verbose=False)
    for data in (splits.train, splits.test):
        expected = np.broadcast_to(40 * data.class_ids[:, None, None, None], data.images.shape)
        np.testing.assert_array_equal(data.images, expected)


def test_split_compacts_training_rows_in_place():
    from keras_lord.datasets.splits import _keep_rows_in_place, split_by_rows

    rng = np.random.default_rng(0)
    for count, chunk, held_out in ((10, 3, 0.5), (1000, 7, 0.1), (64, 8, 0.9), (37, 1, 0.3)):
        for _ in range(10):
            array = rng.integers(0, 255, (count, 2, 2, 1), dtype="uint8")
            rows = rng.random(count) >= held_out
            rows[0] = True
            expected = array[rows].copy()
            kept = _keep_rows_in_place(array, rows, chunk)
            np.testing.assert_array_equal(kept, expected)
            assert np.shares_memory(kept, array)
    images = np.arange(6, dtype="uint8").repeat(4).reshape(6, 2, 2, 1)
    test_rows = np.array([False, True, False, False, True, False])
    splits = split_by_rows(images.copy(), np.arange(6), None, test_rows, 6, {})
    np.testing.assert_array_equal(splits.train.images[:, 0, 0, 0], [0, 2, 3, 5])
    np.testing.assert_array_equal(splits.test.images[:, 0, 0, 0], [1, 4])
    np.testing.assert_array_equal(splits.train.class_ids, [0, 2, 3, 5])


def test_tar_members_are_read_in_one_pass_in_the_archives_order(tmp_path, monkeypatch):
    from keras_lord.datasets import sources
    from keras_lord.datasets.resizing import decode_images

    order = np.random.default_rng(0).permutation(120)
    with tarfile.open(tmp_path / "shuffled.tar.gz", "w:gz") as archive:
        for value in order:
            buffer = io.BytesIO()
            Image.fromarray(np.full((6, 6), value, "uint8")).save(buffer, "PNG")
            info = tarfile.TarInfo(f"images/{value:04d}.png")
            info.size = buffer.tell()
            archive.addfile(info, io.BytesIO(buffer.getvalue()))
    opened = []
    original_open = sources.tarfile.open
    monkeypatch.setattr(
        sources.tarfile, "open", lambda *a, **k: opened.append(a) or original_open(*a, **k)
    )
    files = sources.DatasetSource(tmp_path / "shuffled.tar.gz", "t", "here").files("*.png")
    assert [name for name, _ in files] == [f"images/{value:04d}.png" for value in range(120)]
    images = decode_images(files, 3, None, 1, verbose=False, workers=4)
    np.testing.assert_array_equal(images[:, 1, 1, 0], np.arange(120))
    assert len(opened) == 2, "one pass lists the members, one reads them"
    assert files[5][1]() == files[5][1]()  # asked again: a new pass, the same bytes
