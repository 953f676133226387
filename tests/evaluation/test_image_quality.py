"""FID and KID: the formulas against closed forms and their definitions."""

import numpy as np
import pytest
import scipy.linalg

from keras_lord.evaluation import (
    frechet_distance,
    frechet_distance_from_statistics,
    kernel_inception_distance,
)


def test_frechet_distance_of_diagonal_gaussians_is_the_closed_form():
    mean_a, mean_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    variances_a, variances_b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = 5.0 + sum(
        a + b - 2 * np.sqrt(a * b) for a, b in zip(variances_a, variances_b)
    )  # 5 + 4 + 1 + 0
    distance = frechet_distance_from_statistics(
        mean_a, np.diag(variances_a), mean_b, np.diag(variances_b)
    )
    assert distance == pytest.approx(expected) == 10.0


def test_frechet_distance_of_full_covariances_matches_the_matrix_square_root():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(size=(150, 6)) @ rng.normal(size=(6, 6)) + 0.5
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    expected = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * root)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)
    assert frechet_distance(b, a) == pytest.approx(expected, rel=1e-9)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)


def _kid_by_definition(a, b):
    def kernel(x, y):
        return (x @ y / len(x) + 1) ** 3

    n = len(a)
    within = sum(
        kernel(a[i], a[j]) + kernel(b[i], b[j]) for i in range(n) for j in range(n) if i != j
    ) / (n * (n - 1))
    across = sum(kernel(a[i], b[j]) for i in range(n) for j in range(n)) / (n * n)
    return within - 2 * across


def test_kid_is_the_unbiased_mmd_of_the_cubic_kernel():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(12, 5)), rng.normal(0.3, 1.2, size=(12, 5))
    # One subset of all rows: only their order is drawn, which the estimate ignores.
    kid = kernel_inception_distance(a, b, subset_size=12, num_subsets=1)
    assert kid["kid"] == pytest.approx(_kid_by_definition(a, b), rel=1e-10)
    assert kid["kid_std"] == 0.0
    # Unbiased: near zero for two samples of one distribution, far from it for two.
    same = kernel_inception_distance(rng.normal(size=(400, 5)), rng.normal(size=(400, 5)))
    apart = kernel_inception_distance(rng.normal(size=(400, 5)), rng.normal(1, 1, (400, 5)))
    assert abs(same["kid"]) < 0.1 * apart["kid"]


def test_bad_features_are_refused():
    with pytest.raises(ValueError, match="feature sizes differ"):
        frechet_distance(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="n >= 2"):
        kernel_inception_distance(np.zeros((1, 3)), np.zeros((4, 3)))
