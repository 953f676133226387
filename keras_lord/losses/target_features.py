"""The frozen VGG's features of the target images, computed once for a whole training.

LORD's targets are the training images themselves, unaugmented, and the VGG16 of its
perceptual loss is frozen: the features of a target are the same in every epoch of both
stages. Computed once and fed with the batches, they save the targets' forward pass
through VGG16 in every step: a quarter of the executed FLOPs of a stage-1 step of the
`small` preset, so training runs faster on CPUs (measurements in `docs/performance.md`),
at the cost of keeping the features in memory.
"""

import hashlib
import os

import keras
import numpy as np

from keras_lord.data.pixels import unit_float_tensor
from keras_lord.losses.vgg_perceptual_loss import VGGPerceptualLoss
from keras_lord.utils.cpu import runs_on_cpu

TARGET_FEATURE_CACHES = ("auto", "on", "off")
# The most memory that `"auto"` gives the features: this many bytes, and at most this
# share of the machine's memory.
AUTO_MAX_BYTES = 2 * 2**30
AUTO_MAX_MEMORY_SHARE = 0.25
_KEY_PREFIX = "target_feature_"


def target_feature_keys(perceptual_loss: VGGPerceptualLoss) -> list:
    """The input keys under which the cached features of each feature layer travel.

    Args:
        perceptual_loss: the `VGGPerceptualLoss` whose features they are.

    Returns:
        One key per entry of `perceptual_loss.feature_layers`, in their order.

    Example:
    ```python
    target_feature_keys(VGGPerceptualLoss())[0]  # "target_feature_block1_conv2"
    ```

    """
    return [_KEY_PREFIX + layer for layer in perceptual_loss.feature_layers]


def target_feature_bytes(perceptual_loss: VGGPerceptualLoss, images_shape: tuple) -> int:
    """The memory the features of a set of images take.

    Args:
        perceptual_loss: the `VGGPerceptualLoss` whose features they are.
        images_shape: `(num_images, height, width, channels)`.

    Returns:
        Bytes, in the dtype the loss computes its features in.

    Example:
    ```python
    target_feature_bytes(VGGPerceptualLoss(), (288, 32, 32, 3))  # 141 MB in float32
    ```

    """
    num_images, height, width = images_shape[:3]
    specs = perceptual_loss.vgg.compute_output_spec(keras.KerasTensor((None, height, width, 3)))
    itemsize = np.dtype(perceptual_loss.vgg.compute_dtype).itemsize
    return int(num_images) * itemsize * sum(int(np.prod(spec.shape[1:])) for spec in specs)


def caches_target_features(setting: str, perceptual_loss, images_shape: tuple) -> bool:
    """Whether a training on images of this shape feeds its targets' features from a cache.

    Args:
        setting: `"on"`, `"off"`, or `"auto"`: on where keras-lord computes on a CPU and
            the features take at most `AUTO_MAX_BYTES` and `AUTO_MAX_MEMORY_SHARE` of the
            machine's memory. On a GPU the targets' pass is cheap and the features would
            cross to the device with every batch, so `"auto"` leaves it off there (not
            measured).
        perceptual_loss: the trainer's reconstruction loss.
        images_shape: `(num_images, height, width, channels)`.

    Returns:
        Whether to cache.

    Raises:
        ValueError: for an unknown setting, or `"on"` with a loss other than a
            `VGGPerceptualLoss` (only its features are known to be fixed).

    Example:
    ```python
    caches_target_features("auto", VGGPerceptualLoss(), (288, 32, 32, 3))  # True on a CPU
    ```

    """
    if setting not in TARGET_FEATURE_CACHES:
        raise ValueError(
            f"`target_feature_cache` must be one of {TARGET_FEATURE_CACHES}; got {setting!r}."
        )
    if setting == "off":
        return False
    if not isinstance(perceptual_loss, VGGPerceptualLoss):
        if setting == "on":
            raise ValueError(
                "`target_feature_cache='on'` needs a `VGGPerceptualLoss`, whose frozen "
                f"features it caches; got {type(perceptual_loss).__name__}. Pass 'auto' or "
                "'off'."
            )
        return False
    if setting == "on":
        return True
    budget = min(AUTO_MAX_BYTES, AUTO_MAX_MEMORY_SHARE * _memory_bytes())
    return runs_on_cpu() and target_feature_bytes(perceptual_loss, images_shape) <= budget


def _memory_bytes() -> int:
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def compute_target_features(
    perceptual_loss: VGGPerceptualLoss,
    images: np.ndarray,
    batch_size: int = 64,
    verbose: int = "auto",
) -> dict:
    """The VGG features of images, as the loss computes those of its targets.

    Args:
        perceptual_loss: the `VGGPerceptualLoss`.
        images: `(N, H, W, C)` images, `uint8` or floats in `[0, 1]`.
        batch_size: images per forward pass.
        verbose: Keras verbosity of the progress bar (`0`: silent).

    Returns:
        `{key: (N, h, w, channels) array}` under `target_feature_keys(perceptual_loss)`.

    Example:
    ```python
    features = compute_target_features(loss, data.images)
    inputs = {**data.inputs(), **features}
    ```

    """
    images = np.asarray(images)
    progress = keras.utils.Progbar(len(images), verbose=0 if verbose == 0 else 1)
    keys = target_feature_keys(perceptual_loss)
    features = {}
    # Eagerly, batch by batch: a compiled `predict` would first trace and compile VGG16,
    # which costs more than it saves on the small datasets where the cache is chosen.
    for start in range(0, len(images), batch_size):
        batch = unit_float_tensor(images[start : start + batch_size])
        for key, values in zip(keys, perceptual_loss.features(batch)):
            values = keras.ops.convert_to_numpy(values)
            if key not in features:
                # Filled in place: batches kept and then concatenated would hold the
                # features twice at the end.
                features[key] = np.empty((len(images),) + values.shape[1:], values.dtype)
            features[key][start : start + len(values)] = values
        progress.update(min(start + batch_size, len(images)))
    return features


def cached_target_features(perceptual_loss: VGGPerceptualLoss, inputs: dict) -> list | None:
    """The cached features of a batch's targets, or `None` where the batch has none.

    Args:
        perceptual_loss: the `VGGPerceptualLoss` they were computed with.
        inputs: the batch.

    Returns:
        One tensor per feature layer, or `None`.

    Example:
    ```python
    batch = {"image": images, **compute_target_features(loss, images)}
    loss(images, generated, true_features=cached_target_features(loss, batch))
    ```

    """
    if not isinstance(perceptual_loss, VGGPerceptualLoss):
        return None
    keys = target_feature_keys(perceptual_loss)
    if not all(key in inputs for key in keys):
        return None
    return [inputs[key] for key in keys]


def image_fingerprint(images: np.ndarray) -> tuple:
    """What identifies a set of images for the cache: shape, dtype and a digest of the pixels.

    Args:
        images: an array of images.

    Returns:
        A hashable fingerprint.

    Example:
    ```python
    image_fingerprint(data.images) == image_fingerprint(data.images.copy())  # True
    ```

    """
    images = np.ascontiguousarray(images)
    digest = hashlib.blake2b(images.view(np.uint8).reshape(-1), digest_size=16).hexdigest()
    return images.shape, str(images.dtype), digest
