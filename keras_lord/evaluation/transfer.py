"""Transfer protocols: translations of pairs of images scored against real images."""

from collections.abc import Callable

import keras
import numpy as np

from keras_lord.data.lord_data import LordData
from keras_lord.data.pixels import unit_float
from keras_lord.evaluation.pairs import draw_pairs, ground_truth_pairs, image_index
from keras_lord.metrics.lpips import lpips


def image_errors(
    generated: np.ndarray, targets: np.ndarray, lpips_network: str | None = "vgg16"
) -> dict:
    """Mean MSE and LPIPS between two image sets.

    Args:
        generated: `(N, H, W, C)` images in `[0, 1]`.
        targets: images of the same shape, `uint8` or floats in `[0, 1]`.
        lpips_network: backbone of LPIPS, or `None` to skip it.

    Returns:
        `{"mse": float, "lpips": float}` (no `"lpips"` when skipped).

    Example:
    ```python
    images = np.random.default_rng(0).random((4, 32, 32, 3), "float32")
    keras_lord.evaluation.image_errors(images, images, lpips_network=None)  # {"mse": 0.0}
    ```

    """
    generated = np.asarray(generated, dtype="float32")
    targets = unit_float(targets)
    errors = {"mse": float(np.mean((generated - targets) ** 2))}
    if lpips_network is not None:
        errors["lpips"] = float(np.mean(lpips(generated, targets, network=lpips_network)))
    return errors


def content_transfer_error(
    translate: Callable,
    data: LordData,
    num_pairs: int = 500,
    seed: int = 0,
    lpips_network: str | None = "vgg16",
    truths: LordData | None = None,
    pairs: tuple | None = None,
) -> dict:
    """The paper's content-transfer error: translations scored against the real image.

    For pairs of images of different classes, `translate(class_images, content_images)`
    renders the class of the first with the content of the second, which is compared with
    the real image of that class and content label. Baselines that copy the content image
    and the class image are scored on the same pairs.

    Args:
        translate: a function `(class_images, content_images) -> images`, e.g. a trained
            model's `translate`.
        data: held-out images with class and content labels.
        num_pairs: pairs drawn (same-class pairs and pairs without ground truth skipped).
        seed: seed of the pairs.
        lpips_network: LPIPS backbone, or `None` for MSE only.
        truths: where the ground-truth images are looked up (see `ground_truth_pairs`).
        pairs: `(class_sources, content_sources, references)` index arrays to score
            instead of `ground_truth_pairs`' (e.g. `nearest_landmark_pairs` where there are
            no content labels); the references index `truths` (default `data`).

    Returns:
        `{"pairs": int, "model": {...}, "copy_content": {...}, "copy_class": {...}}`, each
        with mean `"mse"` and `"lpips"`.

    Example:
    ```python
    model = keras_lord.load("runs/cars")
    keras_lord.evaluation.content_transfer_error(model.translate, test_data)
    ```

    """
    if pairs is None:
        pairs = ground_truth_pairs(data, num_pairs, seed, truths)
    first, second, truth = pairs
    images = data.images
    targets = (data if truths is None else truths).images[truth]
    return {
        "pairs": len(first),
        "model": image_errors(translate(images[first], images[second]), targets, lpips_network),
        "copy_content": image_errors(unit_float(images[second]), targets, lpips_network),
        "copy_class": image_errors(unit_float(images[first]), targets, lpips_network),
    }


def class_identity_accuracy(
    translate: Callable,
    data: LordData,
    num_pairs: int = 500,
    seed: int = 0,
) -> dict:
    """Whether translations keep the class image's class, where every class has each content.

    For pairs `(x_i, x_j)` of different classes (`ground_truth_pairs`), the translation
    `translate(x_i, x_j)` is compared by MSE with every class's real image of `x_j`'s
    content; it counts as kept when the nearest is `x_i`'s class. A model that turns
    out one average object in the content's pose, or copies the content image, can beat
    the copy baselines of `content_transfer_error` and still scores near or below chance
    here, which is what a person sees in a grid whose rows all look alike.

    Args:
        translate: a function `(class_images, content_images) -> images`.
        data: images with class and content labels; ideally every class in every content.
        num_pairs: pairs drawn (same-class pairs and pairs without ground truth skipped).
        seed: seed of the pairs.

    Returns:
        `{"pairs", "accuracy", "content_class_share", "chance"}`: the share of
        translations nearest their class image's class, the share nearest the content
        image's class, and the mean of `1 / candidates` (guessing a class at random).

    Raises:
        ValueError: as `ground_truth_pairs`.

    Example:
    ```python
    keras_lord.evaluation.class_identity_accuracy(model.translate, test_data)
    ```

    """
    first, second, _ = ground_truth_pairs(data, num_pairs, seed)
    index = image_index(data)
    classes = np.unique(data.class_ids)
    translations = unit_float(translate(data.images[first], data.images[second]))
    kept, content_class, chance = [], [], []
    for translation, i, j in zip(translations, first, second):
        content = data.content_ids[j]
        candidates = np.array([c for c in classes if (c, content) in index])
        references = unit_float(data.images[[index[(c, content)] for c in candidates]])
        nearest = candidates[np.argmin(np.mean((references - translation) ** 2, axis=(1, 2, 3)))]
        kept.append(nearest == data.class_ids[i])
        content_class.append(nearest == data.class_ids[j])
        chance.append(1 / len(candidates))
    return {
        "pairs": len(first),
        "accuracy": float(np.mean(kept)),
        "content_class_share": float(np.mean(content_class)),
        "chance": float(np.mean(chance)),
    }


def class_transfer_error(
    model: keras.Model,
    train: LordData,
    test: LordData,
    num_pairs: int = 500,
    seed: int = 0,
    feature_layer: str = "block5_conv3",
    batch_size: int = 64,
) -> dict:
    """Whether translations carry the class image's class: the paper's RaFD protocol (Table 4).

    A classifier of the class (e.g. RaFD's expression) is trained on real training images
    (logistic regression on the spatial means of frozen ImageNet VGG16 features), and
    scored on real held-out images and on translations `G(class of x_i, content of x_j)` of
    held-out pairs of different classes, whose class should be `x_i`'s. Lower error is
    better; the share of translations classified as `x_j`'s class says how much of the
    content image's class came through.

    Args:
        model: a `LordModel` with trained encoders (or a `LordTrainer` in stage 2).
        train: real images to train the classifier on.
        test: held-out images, of at least two classes.
        num_pairs: pairs drawn (same-class pairs skipped).
        seed: seed of the pairs and the classifier.
        feature_layer: the VGG16 layer whose features the classifier reads.
        batch_size: images per VGG batch.

    Returns:
        `{"real_error", "translated_error", "content_class_share", "chance_error",
        "pairs"}`; chance is the error of always predicting the commonest training class.

    Raises:
        ValueError: if `test` holds fewer than two classes.

    Example:
    ```python
    keras_lord.evaluation.class_transfer_error(model, train, test)
    ```

    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from keras_lord.losses.vgg_perceptual_loss import VGGPerceptualLoss

    if len(np.unique(test.class_ids)) < 2:
        raise ValueError("Class transfer needs held-out images of at least two classes.")
    network = VGGPerceptualLoss(feature_layers=(feature_layer,))

    def features(images):
        chunks = []
        for start in range(0, len(images), batch_size):
            maps = network.features(unit_float(images[start : start + batch_size]))[0]
            chunks.append(keras.ops.convert_to_numpy(keras.ops.mean(maps, axis=(1, 2))))
        return np.concatenate(chunks).astype("float64")

    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    classifier.fit(features(train.images), train.class_ids)
    first, second = draw_pairs(test.class_ids, num_pairs, seed)
    predicted = classifier.predict(
        features(model.translate(test.images[first], test.images[second]))
    )
    commonest = np.bincount(train.class_ids).max() / train.num_samples
    return {
        "pairs": int(len(first)),
        "real_error": float(1 - classifier.score(features(test.images), test.class_ids)),
        "translated_error": float(np.mean(predicted != test.class_ids[first])),
        "content_class_share": float(np.mean(predicted == test.class_ids[second])),
        "chance_error": float(1 - commonest),
    }
