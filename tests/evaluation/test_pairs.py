import numpy as np
import pytest

from keras_lord.data import LordData, SyntheticObjects
from keras_lord.evaluation import draw_pairs, ground_truth_pairs, nearest_landmark_pairs


@pytest.fixture(scope="module")
def objects_data():
    objects = SyntheticObjects(num_classes=4, num_azimuths=6, num_elevations=1, seed=3)
    return objects, objects.data()


def test_draw_pairs_keeps_the_pairs_of_different_classes_of_one_seeded_draw():
    class_ids = np.repeat(np.arange(3), 5)
    first, second = draw_pairs(class_ids, num_pairs=200, seed=4)
    assert 100 < len(first) == len(second) < 200
    assert np.all(class_ids[first] != class_ids[second])
    again = draw_pairs(list(class_ids), num_pairs=200, seed=4)
    np.testing.assert_array_equal(again[0], first)
    np.testing.assert_array_equal(again[1], second)
    assert not np.array_equal(draw_pairs(class_ids, num_pairs=200, seed=5)[0][:20], first[:20])
    assert [len(side) for side in draw_pairs(np.zeros(6, int), num_pairs=50)] == [0, 0]


def test_every_protocol_scores_the_pairs_of_the_same_draw(objects_data):
    _, data = objects_data
    first, second = draw_pairs(data.class_ids, num_pairs=80, seed=2)
    # Every class holds every content: each pair drawn has a ground truth.
    truth_pairs = ground_truth_pairs(data, num_pairs=80, seed=2)
    landmarks = np.random.default_rng(0).normal(size=(data.num_samples, 5, 2))
    landmark_pairs = nearest_landmark_pairs(data.class_ids, landmarks, num_pairs=80, seed=2)
    for pairs in (truth_pairs, landmark_pairs):
        np.testing.assert_array_equal(pairs[0], first)
        np.testing.assert_array_equal(pairs[1], second)


def test_ground_truth_pairs(objects_data):
    _, data = objects_data
    first, second, truth = ground_truth_pairs(data, num_pairs=100)
    assert len(first) > 50
    assert np.all(data.class_ids[first] != data.class_ids[second])
    np.testing.assert_array_equal(data.class_ids[truth], data.class_ids[first])
    np.testing.assert_array_equal(data.content_ids[truth], data.content_ids[second])
    unlabeled = LordData(images=data.images, class_ids=data.class_ids)
    with pytest.raises(ValueError, match="content labels"):
        ground_truth_pairs(unlabeled)
    # Held-out images of training classes find their ground truths among all images.
    held_out = data.subset(np.arange(0, data.num_samples, 10))
    first, second, truth = ground_truth_pairs(held_out, num_pairs=100, truths=data)
    assert len(first) > 50 and truth.max() >= held_out.num_samples
    np.testing.assert_array_equal(data.class_ids[truth], held_out.class_ids[first])
    np.testing.assert_array_equal(data.content_ids[truth], held_out.content_ids[second])
    with pytest.raises(ValueError, match="content labels"):
        ground_truth_pairs(held_out, truths=unlabeled)


def test_nearest_landmark_pairs():
    rng = np.random.default_rng(0)
    class_ids = np.repeat(np.arange(5), 8)
    landmarks = rng.normal(size=(40, 5, 2)) * 10
    first, second, reference = nearest_landmark_pairs(class_ids, landmarks, num_pairs=200)
    assert len(first) > 100 and np.all(class_ids[first] != class_ids[second])
    np.testing.assert_array_equal(class_ids[reference], class_ids[first])
    assert np.all(reference != first), "the class image is no reference of its own pair"
    flat = landmarks.reshape(40, -1)
    for i, j, k in zip(first, second, reference):
        others = [m for m in np.flatnonzero(class_ids == class_ids[i]) if m != i]
        distances = np.linalg.norm(flat[others] - flat[j], axis=1)
        assert np.isclose(np.linalg.norm(flat[k] - flat[j]), distances.min())
    with pytest.raises(ValueError, match="one per image"):
        nearest_landmark_pairs(class_ids, landmarks[:5])
    with pytest.raises(ValueError, match="two classes"):
        nearest_landmark_pairs(np.zeros(40, int), landmarks)
