import numpy as np
import pytest

from keras_lord.data import LordData, SyntheticObjects, validate_ids, validate_images


def images(n=6, size=8, channels=3, dtype="uint8"):
    data = np.random.default_rng(0).integers(0, 256, size=(n, size, size, channels))
    return data.astype(dtype) if dtype == "uint8" else (data / 255.0).astype(dtype)


@pytest.mark.parametrize(
    "array, error, message",
    [
        (np.zeros((0, 8, 8, 3), "uint8"), ValueError, "empty"),
        (np.zeros((4, 8, 8), "uint8"), ValueError, r"\[\.\.\., None\]"),
        (np.zeros((4, 3, 8, 8), "uint8"), ValueError, "transpose"),
        (np.full((2, 4, 4, 3), 200.0, "float32"), ValueError, "divide by 255"),
        (np.full((2, 4, 4, 3), -0.5, "float32"), ValueError, r"\(x \+ 1\) / 2"),
        (np.full((2, 4, 4, 3), np.nan, "float32"), ValueError, "NaN"),
        (np.zeros((2, 4, 4, 3), "int64"), TypeError, "astype"),
    ],
)
def test_bad_images(array, error, message):
    with pytest.raises(error, match=message):
        validate_images(array)


def test_good_images_keep_dtype():
    assert validate_images(images()).dtype == np.uint8
    assert validate_images(images(dtype="float64")).dtype == np.float32


def test_ids():
    assert validate_ids([0, 2.0, 1], 3, "class_ids", 3).dtype == np.int32
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        validate_ids([0, 3], 3, "class_ids", 2)
    with pytest.raises(ValueError, match="3 images"):
        validate_ids([0, 1], 3, "class_ids", 3)
    with pytest.raises(TypeError, match="integers"):
        validate_ids([0.5, 1], 3, "class_ids", 2)


def test_lord_data_npz_roundtrip(tmp_path):
    data = LordData(images(), class_ids=[0, 1, 2, 0, 1, 2], content_ids=[5, 4, 3, 2, 1, 0])
    assert data.num_classes == 3 and data.image_shape == (8, 8, 3) and data.num_samples == 6
    path = tmp_path / "set.npz"
    data.save_npz(path)
    with np.load(path) as archive:
        assert set(archive.files) == {"imgs", "classes", "contents", "n_classes"}
    loaded = LordData.from_npz(path)
    np.testing.assert_array_equal(loaded.images, data.images)
    np.testing.assert_array_equal(loaded.class_ids, data.class_ids)
    np.testing.assert_array_equal(loaded.content_ids, data.content_ids)
    assert loaded.num_classes == 3
    assert not list(tmp_path.glob(".*partial*")), "no temporary file may be left behind"


def test_npz_reference_layout_with_grayscale(tmp_path):
    path = tmp_path / "gray.npz"
    np.savez(path, imgs=np.zeros((4, 8, 8), "uint8"), classes=np.array([0, 1, 0, 1]), n_classes=5)
    loaded = LordData.from_npz(path)
    assert loaded.image_shape == (8, 8, 1) and loaded.num_classes == 5
    assert loaded.content_ids is None


def test_npz_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        LordData.from_npz(tmp_path / "missing.npz")
    path = tmp_path / "bad.npz"
    np.savez(path, images=np.zeros((2, 8, 8, 3), "uint8"))
    with pytest.raises(KeyError, match="imgs"):
        LordData.from_npz(path)


def test_lord_data_mismatch_and_range():
    with pytest.raises(ValueError, match="6 images"):
        LordData(images(), class_ids=[0, 1])
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        LordData(images(), class_ids=[0, 1, 2, 0, 1, 2], num_classes=2)


def test_inputs_and_split():
    data = LordData(images(), class_ids=[0, 1, 2, 0, 1, 2])
    inputs = data.inputs()
    np.testing.assert_array_equal(inputs["sample_id"], np.arange(6))
    train, held_out = data.split_classes([2])
    assert train.num_samples == 4 and held_out.num_samples == 2
    assert set(held_out.class_ids) == {2} and held_out.num_classes == 3


def test_synthetic_ground_truth():
    objects = SyntheticObjects(num_classes=3, num_azimuths=4, num_elevations=2, image_size=16)
    data = objects.data()
    assert data.num_samples == 3 * 8 and data.image_shape == (16, 16, 3)
    assert data.images.dtype == np.uint8
    # The ground truth of any (class, content) pair is exactly the dataset image.
    index = np.flatnonzero((data.class_ids == 2) & (data.content_ids == 5))[0]
    np.testing.assert_array_equal(objects.render([2], [5])[0], data.images[index])
    # Class changes the object, content changes the viewpoint: both change the picture.
    same_view = objects.render([0, 1], [3, 3]).astype(float)
    same_object = objects.render([0, 0], [3, 4]).astype(float)
    assert np.abs(same_view[0] - same_view[1]).mean() > 5
    assert np.abs(same_object[0] - same_object[1]).mean() > 1
    # Deterministic given the seed, different for another seed.
    np.testing.assert_array_equal(objects.render([1], [1]), objects.render([1], [1]))
    other = SyntheticObjects(num_classes=3, num_azimuths=4, num_elevations=2, image_size=16, seed=1)
    assert not np.array_equal(objects.render([1], [1]), other.render([1], [1]))


def test_synthetic_shape_variation_sets_how_alike_the_objects_are():
    def silhouettes(variation):
        objects = SyntheticObjects(
            num_classes=4,
            num_azimuths=6,
            num_elevations=1,
            image_size=16,
            shape_variation=variation,
        )
        images = objects.data().images.astype(float).reshape(4, 6, 16, 16, 3)
        # Where some sphere covers the pixel; colours always differ between objects.
        return images.max(axis=-1) > 30

    def differing_pixels_across_objects(masks):
        return np.mean([np.mean(masks[0] != masks[k]) for k in range(1, len(masks))])

    shared, blended, independent = (silhouettes(v) for v in (0.0, 0.3, 1.0))
    # One layout for every object: a viewpoint has the same silhouette on all of them.
    assert differing_pixels_across_objects(shared) == 0
    assert (
        0 < differing_pixels_across_objects(blended) < differing_pixels_across_objects(independent)
    )
    # The shapes still turn with the viewpoint.
    assert np.mean(shared[0, 0] != shared[0, 1]) > 0.02
    # The default keeps independent layouts (the objects of earlier versions).
    np.testing.assert_array_equal(
        SyntheticObjects(num_classes=2, image_size=8).render([1], [3]),
        SyntheticObjects(num_classes=2, image_size=8, shape_variation=1.0).render([1], [3]),
    )
    with pytest.raises(ValueError, match="shape_variation"):
        SyntheticObjects(shape_variation=1.5)


def test_synthetic_grayscale_and_errors():
    objects = SyntheticObjects(
        num_classes=2, num_azimuths=2, num_elevations=1, image_size=8, channels=1
    )
    assert objects.data().image_shape == (8, 8, 1)
    with pytest.raises(ValueError, match="content_ids"):
        objects.render([0], [2])
    with pytest.raises(ValueError, match="channels"):
        SyntheticObjects(channels=2)
