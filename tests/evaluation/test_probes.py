import numpy as np
import pytest

from keras_lord.evaluation import TooFewCodesError, landmark_regression, leakage, probe_accuracy


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


def test_landmark_regression_reads_landmarks_only_from_codes_that_carry_them():
    rng = np.random.default_rng(0)
    landmarks = rng.normal(size=(40, 5, 2)) * 10
    flat = landmarks.reshape(40, -1)
    # Codes that carry the landmarks regress them; codes that do not, only the mean.
    mixing = rng.normal(size=(10, 16))
    leaky = landmark_regression(flat @ mixing, landmarks)
    clean = landmark_regression(rng.normal(size=(40, 16)), landmarks)
    assert leaky["mse"] < 1e-6 * leaky["baseline_mse"]
    assert clean["mse"] > 0.5 * clean["baseline_mse"]
    with pytest.raises(ValueError, match="landmark rows"):
        landmark_regression(flat[:5] @ mixing, landmarks)
