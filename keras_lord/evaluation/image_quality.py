"""How real generated images look: FID and KID on FID's Inception-v3 pool features.

FID (Heusel et al., 2017) fits a Gaussian to the 2048 pool features of each set and
measures the Fréchet distance between the two:

    |mu_a - mu_b|^2 + trace(S_a + S_b - 2 (S_a S_b)^(1/2))

It is biased for small sets (it falls as the sets grow), so compare FIDs of sets of one
size only. KID (Bińkowski et al., 2018) is the unbiased squared MMD with the cubic
polynomial kernel `k(x, y) = (x.y / 2048 + 1)^3`, averaged over random subsets: usable on
the few hundred images of a held-out split. Both are reported by `evaluate_model` and
the examples when Inception weights are given; values are in the units of the papers
(FID as is, KID not scaled by 1000).
"""

import functools

import keras
import numpy as np

from keras_lord.backbones.inception_v3 import fid_inception
from keras_lord.data.pixels import unit_float
from keras_lord.utils.quiet_predict import predict_quietly


@functools.lru_cache(maxsize=2)
def _cached_model(weights):
    return fid_inception(weights)


def inception_features(images, model=None, weights="fid", batch_size: int = 50) -> np.ndarray:
    """The 2048 pool features of FID's Inception-v3 for each image.

    Args:
        images: `(n, height, width, 3)`, `uint8` in `[0, 255]` or floats in `[0, 1]`.
        model: a `keras_lord.backbones.inception_v3.fid_inception` model; `None` builds one
            from `weights` (once per process and source).
        weights: the model's weights when `model` is `None` (see `fid_inception`), or
            the model itself.
        batch_size: images per forward pass.

    Returns:
        A float64 array `(n, 2048)`.

    Raises:
        ValueError: for images that are not `(n, height, width, 3)`.

    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"Expected images of shape (n, height, width, 3); got {images.shape}.")
    if model is None:
        model = weights if isinstance(weights, keras.Model) else _cached_model(weights)
    features = predict_quietly(model, unit_float(images), batch_size=batch_size)
    return np.asarray(features, "float64")


def _check_features(features_a, features_b, minimum):
    features_a, features_b = np.asarray(features_a, "float64"), np.asarray(features_b, "float64")
    for name, features in (("features_a", features_a), ("features_b", features_b)):
        if features.ndim != 2 or len(features) < minimum:
            raise ValueError(
                f"`{name}` must be (n, d) with n >= {minimum}; got shape {features.shape}."
            )
    if features_a.shape[1] != features_b.shape[1]:
        raise ValueError(
            f"The feature sizes differ: {features_a.shape[1]} and {features_b.shape[1]}."
        )
    return features_a, features_b


def frechet_distance_from_statistics(mean_a, covariance_a, mean_b, covariance_b) -> float:
    """The Fréchet distance between two Gaussians.

    The trace of `(S_a S_b)^(1/2)` is computed as the sum of the square roots of the
    eigenvalues of `S_a^(1/2) S_b S_a^(1/2)`, a symmetric matrix with the same
    eigenvalues, so no complex square root is needed.

    Args:
        mean_a: mean of the first Gaussian, `(d,)`.
        covariance_a: its covariance, `(d, d)`.
        mean_b: mean of the second.
        covariance_b: its covariance.

    Returns:
        The distance, a float >= 0 (up to rounding).

    Example:
    ```python
    frechet_distance_from_statistics(np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2))
    # 2 + (1 + 4 - 2 * 2) * 2 = 4.0
    ```

    """
    values, vectors = np.linalg.eigh(np.asarray(covariance_a, "float64"))
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = root_a @ np.asarray(covariance_b, "float64") @ root_a
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    difference = np.asarray(mean_a, "float64") - np.asarray(mean_b, "float64")
    traces = np.trace(covariance_a) + np.trace(covariance_b)
    return float(difference @ difference + traces - 2 * cross)


def frechet_distance(features_a, features_b) -> float:
    """FID between two sets of features (`inception_features`).

    Args:
        features_a: `(n_a, d)`, e.g. the real images' features.
        features_b: `(n_b, d)`, e.g. the generated images'.

    Returns:
        The Fréchet distance between Gaussians fitted to the two sets.

    Raises:
        ValueError: for fewer than 2 rows or feature sizes that differ.

    """
    features_a, features_b = _check_features(features_a, features_b, 2)
    return frechet_distance_from_statistics(
        features_a.mean(0),
        np.cov(features_a, rowvar=False),
        features_b.mean(0),
        np.cov(features_b, rowvar=False),
    )


def kernel_inception_distance(
    features_a, features_b, subset_size: int = 1000, num_subsets: int = 100, seed: int = 0
) -> dict:
    """KID: the unbiased squared MMD of a cubic polynomial kernel, over random subsets.

    Args:
        features_a: `(n_a, d)`.
        features_b: `(n_b, d)`.
        subset_size: rows drawn from each set per subset (at most the smaller set).
        num_subsets: subsets averaged.
        seed: seed of the subsets.

    Returns:
        `{"kid": mean, "kid_std": standard deviation over the subsets}`.

    Raises:
        ValueError: for fewer than 2 rows or feature sizes that differ.

    """
    features_a, features_b = _check_features(features_a, features_b, 2)
    size = min(subset_size, len(features_a), len(features_b))
    dimension = features_a.shape[1]
    rng = np.random.default_rng(seed)
    estimates = []
    for _ in range(num_subsets):
        a = features_a[rng.choice(len(features_a), size, replace=False)]
        b = features_b[rng.choice(len(features_b), size, replace=False)]
        within_a = (a @ a.T / dimension + 1) ** 3
        within_b = (b @ b.T / dimension + 1) ** 3
        across = (a @ b.T / dimension + 1) ** 3
        off_diagonal = size * (size - 1)
        estimates.append(
            (within_a.sum() - np.trace(within_a)) / off_diagonal
            + (within_b.sum() - np.trace(within_b)) / off_diagonal
            - 2 * across.mean()
        )
    return {"kid": float(np.mean(estimates)), "kid_std": float(np.std(estimates))}


def image_quality(real_images, generated_images, weights="fid", model=None) -> dict:
    """FID and KID of generated images against real ones.

    Args:
        real_images: `(n, height, width, 3)`, `uint8` or floats in `[0, 1]`.
        generated_images: the same kind of array (any number of images, at least 2).
        weights: Inception weights (see `keras_lord.backbones.inception_v3.fid_inception`):
            `"fid"` downloads the published ones on first use; a path reads a copy; a
            model built by `fid_inception` is used as it is.
        model: an Inception model to use instead of `weights`.

    Returns:
        `{"fid", "kid", "kid_std", "real_images", "generated_images"}`.

    Raises:
        ValueError: for images of another shape, or fewer than 2 in a set.

    Example:
    ```python
    image_quality(test.images, model.translate(classes, contents), weights="/data/pt_inception.pth")
    ```

    """
    real = inception_features(real_images, model, weights)
    generated = inception_features(generated_images, model, weights)
    return {
        "fid": frechet_distance(real, generated),
        **kernel_inception_distance(real, generated),
        "real_images": len(real),
        "generated_images": len(generated),
    }
