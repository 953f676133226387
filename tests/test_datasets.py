"""The dataset loaders on small files written in each publisher's own layout and format."""

import gzip
import io
import json
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
from keras_lord.datasets.smallnorb import PARTS

NUM_CARS = 5


def car_renders(car):
    """(8, 8, 3, 24, 4) renders in which every pixel names its car and view."""
    renders = np.zeros((8, 8, 3, 24, 4), "uint8")
    for azimuth in range(24):
        for elevation in range(4):
            renders[:, :, 0, azimuth, elevation] = car * 40
            renders[:, :, 1, azimuth, elevation] = azimuth * 10
            renders[:, :, 2, azimuth, elevation] = elevation * 60
    return renders


def mat_bytes(**arrays):
    from scipy.io import savemat

    buffer = io.BytesIO()
    savemat(buffer, arrays)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def cars_folder(tmp_path_factory):
    """`nips2015-analogy-data.tar.gz`, and the folder it extracts to."""
    root = tmp_path_factory.mktemp("cars3d")
    extracted = root / "extracted" / "data" / "cars"
    extracted.mkdir(parents=True)
    with tarfile.open(root / "nips2015-analogy-data.tar.gz", "w:gz") as archive:
        for car in range(NUM_CARS):
            content = mat_bytes(im=car_renders(car))
            (extracted / f"car_{car + 1:03d}_mesh.mat").write_bytes(content)
            info = tarfile.TarInfo(f"data/cars/car_{car + 1:03d}_mesh.mat")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return root


@pytest.mark.parametrize("form", ["archive", "extracted"])
def test_cars3d_reads_every_view_of_every_car(cars_folder, form):
    path = cars_folder / ("nips2015-analogy-data.tar.gz" if form == "archive" else "extracted")
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
    (cars / "car_001_mesh.mat").write_bytes(mat_bytes(other=np.zeros(3)))
    with pytest.raises(ValueError, match="no `im` array"):
        cars3d(tmp_path, verbose=False)
    archive = (cars_folder / "nips2015-analogy-data.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(archive[: len(archive) // 2])
    with pytest.raises(ValueError, match="cut.tar.gz"):
        cars3d(tmp_path / "cut.tar.gz", verbose=False)


def norb_part(part, pairs_per_part, seed):
    """The three files of a SmallNORB part: stereo pairs, categories, info."""
    rng = np.random.default_rng(seed)
    instances = (4, 6, 7, 8, 9) if part == "training" else (0, 1, 2, 3, 5)
    info = np.stack(
        [
            rng.choice(instances, pairs_per_part),
            rng.integers(0, 9, pairs_per_part),
            rng.integers(0, 18, pairs_per_part) * 2,
            rng.integers(0, 6, pairs_per_part),
        ],
        axis=1,
    ).astype("int32")
    categories = rng.integers(0, 5, pairs_per_part).astype("int32")
    pairs = np.zeros((pairs_per_part, 2, 12, 12), "uint8")
    pairs[:, 0] = (info[:, 2] * 7)[:, None, None]  # camera 0 shows the azimuth
    pairs[:, 1] = 255 - (info[:, 2] * 7)[:, None, None]
    return {"dat": pairs, "cat": categories, "info": info}


@pytest.fixture(scope="module")
def norb_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("smallnorb")
    for index, (part, stem) in enumerate(PARTS.items()):
        for kind, array in norb_part(part, 30, index).items():
            content = write_norb_matrix(array)
            if kind == "dat":  # as published: gzipped
                (root / f"{stem}-{kind}.mat.gz").write_bytes(gzip.compress(content))
            else:
                (root / f"{stem}-{kind}.mat").write_bytes(content)
    return root


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


ATTRIBUTE_NAMES = " ".join(f"attribute_{index}" for index in range(40))


@pytest.fixture(scope="module")
def celeba_folder(tmp_path_factory):
    """CelebA's layout: aligned 178x218 JPEGs (also zipped), identities, attributes,
    landmarks and the partition, for 6 identities of 3 images each."""
    import zipfile

    root = tmp_path_factory.mktemp("celeba")
    (root / "img_align_celeba").mkdir()
    (root / "Anno").mkdir()
    (root / "Eval").mkdir()
    identities, attributes, landmarks, partition = [], [], [], []
    with zipfile.ZipFile(root / "img_align_celeba.zip", "w") as archive:
        for index in range(18):
            name = f"{index + 1:06d}.jpg"
            face = np.full((218, 178, 3), 20, "uint8")
            face[45:173, 25:153] = 40 * (index // 3)  # the centre 128 square: the identity
            Image.fromarray(face).save(root / "img_align_celeba" / name, quality=95)
            archive.write(root / "img_align_celeba" / name, f"img_align_celeba/{name}")
            identities.append(f"{name} {100 + index // 3}")
            signs = " ".join("1" if (index >> bit) & 1 else "-1" for bit in range(40))
            attributes.append(f"{name} {signs}")
            landmarks.append(f"{name} 25 45 153 45 89 109 25 173 153 173")
            partition.append(f"{name} {index % 3}")
    (root / "Anno" / "identity_CelebA.txt").write_text("\n".join(identities) + "\n")
    (root / "Anno" / "list_attr_celeba.txt").write_text(
        "\n".join(["18", ATTRIBUTE_NAMES, *attributes]) + "\n"
    )
    header = "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y"
    (root / "Anno" / "list_landmarks_align_celeba.txt").write_text(
        "\n".join(["18", header, *landmarks]) + "\n"
    )
    (root / "Eval" / "list_eval_partition.txt").write_text("\n".join(partition) + "\n")
    return root


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


def test_edges2shoes_halves_and_the_publishers_split(tmp_path):
    from keras_lord.datasets import edges2shoes

    with tarfile.open(tmp_path / "edges2shoes.tar.gz", "w:gz") as archive:
        for part, count in (("train", 4), ("val", 2)):
            for index in range(count):
                pair = np.zeros((64, 128, 3), "uint8")
                pair[:, :64] = 250  # edges: white
                pair[:, 64:] = 10 * index  # the photo
                buffer = io.BytesIO()
                Image.fromarray(pair).save(buffer, format="JPEG", quality=95)
                info = tarfile.TarInfo(f"edges2shoes/{part}/{index + 1}_AB.jpg")
                info.size = len(buffer.getvalue())
                archive.addfile(info, io.BytesIO(buffer.getvalue()))
    splits = edges2shoes(tmp_path / "edges2shoes.tar.gz", size=16, verbose=False)
    assert splits.train.num_samples == 8 and splits.test.num_samples == 4
    for data in (splits.train, splits.test):
        edges = data.class_ids == 0
        assert (data.images[edges] > 230).all() and (data.images[~edges] < 60).all()
        assert sorted(data.content_ids[edges]) == sorted(data.content_ids[~edges])


def test_anime_faces_of_varied_sizes(tmp_path):
    from keras_lord.datasets import anime

    (tmp_path / "cropped").mkdir()
    for index, side in enumerate((40, 64, 90, 51, 77, 63, 44, 80, 70, 66)):
        face = np.full((side, side + 3, 3), 7 * index, "uint8")
        Image.fromarray(face).save(tmp_path / "cropped" / f"{index}_{2000 + index}.jpg")
    (tmp_path / "cropped" / "99_2019.jpg").write_bytes(b"\xff\xd8 cut")
    with pytest.raises(ValueError, match="99_2019.jpg"):
        anime(tmp_path, size=16, verbose=False)
    (tmp_path / "cropped" / "99_2019.jpg").unlink()
    splits = anime(tmp_path, size=16, verbose=False)
    assert splits.train.num_samples == 9 and splits.test.num_samples == 1
    assert splits.train.images.shape[1:] == (16, 16, 3) and splits.info["years"][0] == "2000"


def test_rafd_expressions_crop_and_extras(tmp_path):
    from keras_lord.datasets import rafd

    for angle in (45, 90):
        for subject, expression in ((1, "angry"), (2, "happy"), (3, "surprised")):
            for gaze in ("frontal", "left"):
                portrait = np.zeros((1024, 681, 3), "uint8")
                portrait[170:851] = 200  # the face box; black outside
                name = f"Rafd{angle:03d}_{subject:02d}_Caucasian_female_{expression}_{gaze}.jpg"
                Image.fromarray(portrait).save(tmp_path / name, quality=95)
    (tmp_path / "notes.txt").write_text("not a RaFD file")
    splits = rafd(tmp_path, size=16, held_out=0.25, verbose=False)
    assert splits.train.num_samples == 9 and splits.test.num_samples == 3
    assert splits.train.num_classes == 8
    assert splits.train.images.min() > 180, "the crop keeps the face box only"
    # angry, happy and surprised are RaFD's expressions 0, 4 and 7.
    assert set(splits.train.class_ids) | set(splits.test.class_ids) == {0, 4, 7}
    assert set(splits.train_extras["angle"]) | set(splits.test_extras["angle"]) == {45, 90}
    bad = tmp_path / "Rafd090_04_Caucasian_male_bored_frontal.jpg"
    Image.fromarray(np.zeros((1024, 681, 3), "uint8")).save(bad)
    with pytest.raises(ValueError, match="bored"):
        rafd(tmp_path, verbose=False)
