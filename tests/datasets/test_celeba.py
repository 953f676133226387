"""CelebA: the published folders and zip, Kaggle's copy and the PNG set."""

import shutil

import numpy as np
import pytest
from PIL import Image

from keras_lord.datasets import DatasetFileError, celeba
from keras_lord.datasets.samples import write_celeba_sample


@pytest.fixture(scope="module")
def celeba_folder(tmp_path_factory):
    """CelebA's layout for 6 identities of 3 images each."""
    folder = tmp_path_factory.mktemp("celeba")
    write_celeba_sample(folder)
    return folder


def test_celeba_identities_crop_and_extras(celeba_folder):
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


def test_celeba_png_set(celeba_folder, tmp_path):
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
