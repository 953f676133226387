"""Datasets as `tfds build` leaves them, read as the published files are."""

import json
import shutil

import keras
import numpy as np
import pytest

from keras_lord.cli import main
from keras_lord.datasets import DatasetFileError, celeba, smallnorb, smallnorb_poses
from keras_lord.datasets.samples import smallnorb_part, write_smallnorb_sample


@pytest.fixture(scope="module")
def norb_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("smallnorb")
    write_smallnorb_sample(folder, 30)
    return folder


# The loaders are NumPy and TFDS alone; one backend's run covers them.
tfds_only_once = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
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
