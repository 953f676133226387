"""Codes of new images fitted against a trained generator: LORD without (or beyond) encoders.

The paper's "no second stage" inference (`optimize_codes`: both codes fitted with the
stage-1 noise and penalty) and test-time refinement of the class encoder's codes
(`refine_class_codes`). `LordModel.optimize_codes`, `LordModel.refine_class_codes` and the
`"optimize"` and `"refine"` translation methods call these.
"""

import keras
import numpy as np

from keras_lord.translation.latent_code_fitter import LatentCodeFitter

# The default perceptual loss of each compute dtype, built once per process: its frozen
# VGG is 15M weights.
_DEFAULT_PERCEPTUAL_LOSSES = {}


def optimize_codes(
    model,
    images: np.ndarray,
    class_groups: np.ndarray | None = None,
    steps: int = 200,
    learning_rate: float = 1e-2,
    batch_size: int = 64,
    verbose: int = 0,
    perceptual_loss: keras.layers.Layer | None = None,
    noise_std: float = 1.0,
    content_decay: float = 1e-3,
    seed: int | None = None,
) -> tuple:
    """Class and content codes of images, fitted against the model's frozen generator.

    Args:
        model: a `LordModel`.
        images: `(N,) + image_shape` images, `uint8` or floats in `[0, 1]`.
        class_groups: optional `(N,)` ids of images known to share a class; they get one
            shared class code. By default every image has its own.
        steps: optimisation epochs over the images.
        learning_rate: Adam learning rate of the codes.
        batch_size: images per step.
        verbose: Keras verbosity.
        perceptual_loss: the loss to fit against; `None`: `VGGPerceptualLoss()` in the
            generator's dtype (offline weights).
        noise_std: std of the noise on the content codes while fitting (stage 1's).
        content_decay: weight of the content codes' L2 penalty (stage 1's).
        seed: seed of the initial codes and the noise.

    Returns:
        `(class_codes, content_codes)`, each with one row per image.

    Raises:
        ValueError: for images of the wrong shape or range, groups of another length, or
            `steps < 1`.

    """
    images = model.check_images(images)
    if class_groups is None:
        class_groups = np.arange(len(images))
    return fit_codes(
        model,
        images,
        class_groups,
        steps=steps,
        learning_rate=learning_rate,
        batch_size=batch_size,
        verbose=verbose,
        perceptual_loss=perceptual_loss,
        noise_std=noise_std,
        content_decay=content_decay,
        seed=seed,
    )


def refine_class_codes(
    model,
    images: np.ndarray,
    class_groups: np.ndarray | None = None,
    steps: int = 20,
    learning_rate: float = 1e-2,
    batch_size: int = 64,
    verbose: int = 0,
    perceptual_loss: keras.layers.Layer | None = None,
) -> np.ndarray:
    """Class codes of images: the class encoder's, refined on the images themselves.

    The class codes start at the class encoder's prediction (averaged over a group), the
    content codes are the content encoder's and stay fixed, and `steps` epochs of Adam on
    the class codes alone reduce the perceptual error of reconstructing each image through
    the frozen generator.

    Args:
        model: a `LordModel` whose encoders are trained.
        images: `(N,) + image_shape` images, `uint8` or floats in `[0, 1]`.
        class_groups: optional `(N,)` ids of images known to share a class; they get one
            shared code, fitted to all of them. By default every image its own.
        steps: epochs over the images (with `N <= batch_size`, gradient steps).
        learning_rate: Adam learning rate of the class codes.
        batch_size: images per step.
        verbose: Keras verbosity.
        perceptual_loss: the loss to fit against; `None`: `VGGPerceptualLoss()`.

    Returns:
        `(N, class_dim)` class codes, one row per image.

    Raises:
        RuntimeError: before stage 2 (there are no encoders to start from).
        ValueError: for images of the wrong shape or range, or `steps < 1`.

    """
    images = model.check_images(images)
    if class_groups is None:
        class_groups = np.arange(len(images))
    groups = group_ids(class_groups, len(images))
    encoded = model.encode_class(images, batch_size)
    starts = np.zeros((int(groups.max()) + 1, model.class_dim), "float32")
    np.add.at(starts, groups, encoded)
    starts /= np.bincount(groups)[:, None]
    class_codes, _ = fit_codes(
        model,
        images,
        groups,
        steps=steps,
        learning_rate=learning_rate,
        batch_size=batch_size,
        verbose=verbose,
        perceptual_loss=perceptual_loss,
        initial_class_codes=starts,
        fixed_content_codes=model.encode_content(images, batch_size),
    )
    return class_codes


def group_ids(class_groups, count: int) -> np.ndarray:
    """Groups numbered `0 .. G-1` in order of their ids.

    Args:
        class_groups: `(count,)` ids of any integer (or comparable) kind.
        count: the number of images.

    Returns:
        `(count,)` int group numbers.

    Raises:
        ValueError: for a shape other than `(count,)`.

    """
    class_groups = np.asarray(class_groups)
    if class_groups.shape != (count,):
        raise ValueError(
            f"`class_groups` must hold one id per image, shape ({count},); got "
            f"{class_groups.shape}."
        )
    return np.unique(class_groups, return_inverse=True)[1].reshape(-1)


def fit_codes(
    model,
    images,
    class_groups,
    steps=200,
    learning_rate=1e-2,
    batch_size=64,
    verbose=0,
    perceptual_loss=None,
    noise_std=1.0,
    content_decay=1e-3,
    seed=None,
    initial_class_codes=None,
    fixed_content_codes=None,
) -> tuple:
    """Fits codes of checked images with a `LatentCodeFitter` (see `optimize_codes`)."""
    if int(steps) < 1:
        raise ValueError(f"`steps` must be at least 1; got {steps}.")
    class_groups = group_ids(class_groups, len(images))
    fitter = LatentCodeFitter(
        model.generator,
        perceptual_loss or default_perceptual_loss(model.generator.layer_dtype),
        num_groups=int(class_groups.max()) + 1,
        num_images=len(images),
        noise_std=noise_std,
        content_decay=content_decay,
        seed=seed,
        initial_class_codes=initial_class_codes,
        fixed_content_codes=fixed_content_codes,
    )
    return fitter.fit_codes(
        images,
        class_groups,
        steps=steps,
        learning_rate=learning_rate,
        batch_size=batch_size,
        verbose=verbose,
    )


def default_perceptual_loss(dtype):
    """The `VGGPerceptualLoss()` of a compute dtype, built once per process.

    Args:
        dtype: a dtype policy or name.

    Returns:
        The shared `VGGPerceptualLoss`.

    """
    from keras_lord.losses.vgg_perceptual_loss import VGGPerceptualLoss

    key = getattr(dtype, "name", dtype)
    if key not in _DEFAULT_PERCEPTUAL_LOSSES:
        _DEFAULT_PERCEPTUAL_LOSSES[key] = VGGPerceptualLoss(dtype=dtype)
    return _DEFAULT_PERCEPTUAL_LOSSES[key]
