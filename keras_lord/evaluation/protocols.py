"""The paper's measurements of disentanglement (Gabbay & Hoshen, ICLR 2020, section 4)."""

from collections.abc import Callable

import keras
import numpy as np

from keras_lord.data.lord_data import LordData
from keras_lord.data.pixels import unit_float
from keras_lord.metrics.lpips import lpips

# The fewest codes a probe or regression is fitted and scored on.
MIN_CODES = 4


def _image_index(data: LordData) -> dict:
    """`(class id, content id) -> row` of every image of `data`."""
    return {(c, k): i for i, (c, k) in enumerate(zip(data.class_ids, data.content_ids))}


def ground_truth_pairs(
    data: LordData, num_pairs: int = 500, seed: int = 0, truths: LordData | None = None
) -> tuple:
    """Draws (class source, content source, ground truth) triples for content transfer.

    Pairs `(i, j)` of images of different classes are drawn at random; the ground truth is
    an image of `i`'s class with `j`'s content label. Pairs without one are skipped.

    Args:
        data: images with `class_ids` and `content_ids`.
        num_pairs: pairs to draw before skipping.
        seed: seed of the draw.
        truths: where the ground-truth images are looked up (default: `data`). Where the
            held-out images are of training classes (SmallNORB-Poses, KTH), the image of
            a pair's class and content is most often a training image: pass all images.

    Returns:
        `(class_sources, content_sources, truths)` index arrays; the first two into `data`,
        the last into `truths`.

    Raises:
        ValueError: if `data` or `truths` has no content labels, `data` has fewer than two
            classes, or no pair has a ground truth.

    """
    truths = data if truths is None else truths
    if data.content_ids is None or truths.content_ids is None:
        raise ValueError(
            "Content transfer needs content labels (`contents` in the .npz) to find the "
            "ground-truth image of each translation."
        )
    if len(np.unique(data.class_ids)) < 2:
        raise ValueError("Content transfer needs images of at least two classes.")
    index = _image_index(truths)
    rng = np.random.default_rng(seed)
    first = rng.integers(0, data.num_samples, num_pairs)
    second = rng.integers(0, data.num_samples, num_pairs)
    triples = [
        (i, j, index[(data.class_ids[i], data.content_ids[j])])
        for i, j in zip(first, second)
        if data.class_ids[i] != data.class_ids[j]
        and (data.class_ids[i], data.content_ids[j]) in index
    ]
    if not triples:
        raise ValueError("No pair of images has a ground truth: check the content labels.")
    return tuple(np.array(column) for column in zip(*triples))


def nearest_landmark_pairs(
    class_ids: np.ndarray, landmarks: np.ndarray, num_pairs: int = 500, seed: int = 0
) -> tuple:
    """Content-transfer pairs where no content labels exist: the paper's CelebA protocol.

    Pairs `(i, j)` of images of different classes (identities) are drawn at random; the
    reference of the translation (class of `i`, content of `j`) is the image of `i`'s class
    whose facial landmarks lie nearest (Euclidean, over all points) to `j`'s. The paper
    detected 68 landmarks; CelebA's annotation files give 5 (eyes, nose, mouth corners).
    The class image `i` itself is a reference only when its class has no other image, so
    that copying the class image does not score a perfect match by construction.

    Args:
        class_ids: `(N,)` class of each image.
        landmarks: `(N, points, 2)` or `(N, features)` landmark coordinates.
        num_pairs: pairs to draw (same-class pairs skipped).
        seed: seed of the draw.

    Returns:
        `(class_sources, content_sources, references)` index arrays, as
        `content_transfer_error(pairs=...)` takes.

    Raises:
        ValueError: for mismatched lengths, fewer than two classes, or no pair drawn.

    Example:
    ```python
    pairs = nearest_landmark_pairs(test.class_ids, test_landmarks)
    keras_lord.evaluation.content_transfer_error(model.translate, test, pairs=pairs)
    ```

    """
    class_ids = np.asarray(class_ids)
    points = np.asarray(landmarks, "float64").reshape(len(landmarks), -1)
    if len(points) != len(class_ids):
        raise ValueError(
            f"Got {len(points)} landmark rows for {len(class_ids)} images; give one per image."
        )
    if len(np.unique(class_ids)) < 2:
        raise ValueError("Content transfer needs images of at least two classes.")
    members = {label: np.flatnonzero(class_ids == label) for label in np.unique(class_ids)}
    rng = np.random.default_rng(seed)
    first = rng.integers(0, len(class_ids), num_pairs)
    second = rng.integers(0, len(class_ids), num_pairs)
    triples = []
    for i, j in zip(first, second):
        if class_ids[i] == class_ids[j]:
            continue
        candidates = members[class_ids[i]]
        if len(candidates) > 1:
            candidates = candidates[candidates != i]
        distances = np.linalg.norm(points[candidates] - points[j], axis=1)
        triples.append((i, j, candidates[np.argmin(distances)]))
    if not triples:
        raise ValueError("No pair of images of different classes was drawn: draw more pairs.")
    return tuple(np.array(column) for column in zip(*triples))


def landmark_regression(
    class_codes: np.ndarray, landmarks: np.ndarray, test_fraction: float = 0.3, seed: int = 0
) -> dict:
    """How well a linear regression predicts facial landmarks from class codes.

    The paper's CelebA leakage of content into the class codes (Table 2's last column): the
    class code should not know the head pose, so a higher error is better disentanglement.
    The baseline predicts the training split's mean landmarks.

    Args:
        class_codes: `(N, class_dim)` class codes.
        landmarks: `(N, points, 2)` or `(N, features)` landmark coordinates (pixels).
        test_fraction: share of the codes held out for scoring.
        seed: seed of the split.

    Returns:
        `{"mse": float, "baseline_mse": float}`: mean squared error per coordinate, in
        pixels squared, on the held-out split.

    Raises:
        ValueError: for mismatched lengths or fewer than 4 codes.

    Example:
    ```python
    keras_lord.evaluation.landmark_regression(model.encode_class(images), landmarks)
    ```

    """
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import train_test_split

    codes = np.asarray(class_codes, "float64")
    targets = np.asarray(landmarks, "float64").reshape(len(landmarks), -1)
    if len(codes) != len(targets):
        raise ValueError(f"Got {len(codes)} codes for {len(targets)} landmark rows.")
    if len(codes) < MIN_CODES:
        raise ValueError(f"Need at least {MIN_CODES} codes to regress; got {len(codes)}.")
    train_codes, test_codes, train_targets, test_targets = train_test_split(
        codes, targets, test_size=test_fraction, random_state=seed
    )
    predicted = LinearRegression().fit(train_codes, train_targets).predict(test_codes)
    return {
        "mse": float(np.mean((predicted - test_targets) ** 2)),
        "baseline_mse": float(np.mean((train_targets.mean(0) - test_targets) ** 2)),
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
    rng = np.random.default_rng(seed)
    first = rng.integers(0, test.num_samples, num_pairs)
    second = rng.integers(0, test.num_samples, num_pairs)
    keep = test.class_ids[first] != test.class_ids[second]
    first, second = first[keep], second[keep]
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
    index = _image_index(data)
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


class TooFewCodesError(ValueError):
    """The codes given to a probe cannot be split into a part to fit and a part to score."""


def _split_fitting_every_label(labels: np.ndarray, test_size: int, seed: int) -> tuple:
    """`(fit rows, test rows)`: one code of each label fitted, the test drawn from the rest.

    The classifier then knows every label, even where some have a single code.
    """
    order = np.random.default_rng(seed).permutation(len(labels))
    _, first_positions = np.unique(labels[order], return_index=True)
    is_first = np.zeros(len(order), bool)
    is_first[first_positions] = True
    rest = order[~is_first]
    return np.concatenate([order[is_first], rest[test_size:]]), rest[:test_size]


def probe_accuracy(
    codes: np.ndarray,
    labels: np.ndarray,
    classifier: str = "logistic",
    test_fraction: float = 0.3,
    seed: int = 0,
) -> dict:
    """How well a classifier predicts labels from codes, on a held-out split.

    The split is stratified where every label has codes enough for both sides. Otherwise
    one code of each label is always fitted and the scored codes are drawn from the rest
    (a label with a single code is then fitted, never scored).

    Args:
        codes: `(N, D)` codes.
        labels: `(N,)` integer labels.
        classifier: `"logistic"` (logistic regression) or `"mlp"` (two hidden layers of
            256 units, as in the paper's protocol).
        test_fraction: share of the codes held out for scoring.
        seed: seed of the split and the classifier.

    Returns:
        `{"accuracy": float, "chance": float}`; chance is the majority-label share of the
        held-out split.

    Raises:
        ValueError: for an unknown classifier.
        TooFewCodesError: (a `ValueError`) for fewer than 4 codes, codes of one label, or
            no code left to score once each label has one fitted.

    Example:
    ```python
    labels = np.repeat(np.arange(5), 40)
    codes = np.eye(5)[labels] + np.random.default_rng(0).normal(0, 0.3, (200, 5))
    keras_lord.evaluation.probe_accuracy(codes, labels)  # {"accuracy": 1.0, "chance": 0.2}
    ```

    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    codes = np.asarray(codes, dtype="float64")
    labels = np.asarray(labels)
    if classifier == "logistic":
        model = LogisticRegression(max_iter=2000)
    elif classifier == "mlp":
        model = MLPClassifier(hidden_layer_sizes=(256, 256), max_iter=500, random_state=seed)
    else:
        raise ValueError(f"`classifier` must be 'logistic' or 'mlp'; got {classifier!r}.")
    if len(codes) < MIN_CODES:
        raise TooFewCodesError(f"Need at least {MIN_CODES} codes to probe; got {len(codes)}.")
    label_counts = np.unique(labels, return_counts=True)[1]
    if len(label_counts) < 2:
        raise TooFewCodesError(
            f"Probing needs codes of at least two labels; all {len(codes)} have one label."
        )
    test_size = int(np.ceil(test_fraction * len(codes)))
    # Stratified where every label can be on both sides, so that chance is the same for
    # any seed.
    if label_counts.min() >= 2 and len(label_counts) <= min(test_size, len(codes) - test_size):
        train_codes, test_codes, train_labels, test_labels = train_test_split(
            codes, labels, test_size=test_size, random_state=seed, stratify=labels
        )
    else:
        fit_rows, test_rows = _split_fitting_every_label(labels, test_size, seed)
        if not len(test_rows):
            raise TooFewCodesError(
                f"The {len(codes)} codes are of {len(label_counts)} labels: with one code of "
                "each fitted, none is left to score. Give more codes than labels."
            )
        train_codes, train_labels = codes[fit_rows], labels[fit_rows]
        test_codes, test_labels = codes[test_rows], labels[test_rows]
    scaler = StandardScaler().fit(train_codes)
    model.fit(scaler.transform(train_codes), train_labels)
    accuracy = float(np.mean(model.predict(scaler.transform(test_codes)) == test_labels))
    _, counts = np.unique(test_labels, return_counts=True)
    return {"accuracy": accuracy, "chance": float(counts.max() / counts.sum())}


def _probe_or_reason(codes, labels, classifier: str, seed: int) -> dict:
    try:
        return probe_accuracy(codes, labels, classifier, seed=seed)
    except TooFewCodesError as error:
        return {"accuracy": None, "chance": None, "skipped": str(error)}


def leakage(
    class_codes: np.ndarray,
    content_codes: np.ndarray,
    class_ids: np.ndarray,
    content_ids: np.ndarray | None = None,
    seed: int = 0,
) -> dict:
    """The paper's leakage probes, with logistic regression and an MLP.

    A probe that the codes are too few for (`TooFewCodesError`, e.g. a tiny held-out split
    with one image of a class) is reported, not raised, so that an evaluation after a long
    training still gives its other figures.

    Args:
        class_codes: `(N, class_dim)` class codes.
        content_codes: `(N, content_dim)` content codes.
        class_ids: `(N,)` class labels.
        content_ids: optional `(N,)` content labels.
        seed: seed of the splits and classifiers.

    Returns:
        `{"class_from_content": {"logistic": {...}, "mlp": {...}}}` and, with content
        labels, `"content_from_class"` likewise; each `{"accuracy", "chance"}`, or
        `{"accuracy": None, "chance": None, "skipped": why}`. Near chance is perfect
        disentanglement.

    Example:
    ```python
    class_ids = np.repeat(np.arange(4), 20)
    report = keras_lord.evaluation.leakage(class_codes, content_codes, class_ids)
    report["class_from_content"]["mlp"]["accuracy"]  # near 0.25: no leakage
    ```

    """
    report = {
        "class_from_content": {
            name: _probe_or_reason(content_codes, class_ids, name, seed)
            for name in ("logistic", "mlp")
        }
    }
    if content_ids is not None:
        report["content_from_class"] = {
            name: _probe_or_reason(class_codes, content_ids, name, seed)
            for name in ("logistic", "mlp")
        }
    return report


def evaluate_model(
    model: keras.Model,
    data: LordData,
    num_pairs: int = 500,
    seed: int = 0,
    lpips_network: str | None = "vgg16",
    truths: LordData | None = None,
) -> dict:
    """All protocols for a stage-2 model on held-out data.

    Args:
        model: a `LordModel` with trained encoders (or a `LordTrainer` in stage 2).
        data: held-out images with class labels (and content labels for transfer).
        num_pairs: pairs for the content-transfer error.
        seed: seed of pairs, splits and classifiers.
        lpips_network: LPIPS backbone, or `None` for MSE only.
        truths: where content transfer looks up its ground-truth images (see
            `ground_truth_pairs`; default: `data`).

    Returns:
        `{"reconstruction": {...}, "leakage": {...}, "content_transfer": {...}}` (no
        content transfer without content labels).

    """
    images = data.images
    class_codes = model.encode_class(images)
    content_codes = model.encode_content(images)
    report = {
        "images": data.num_samples,
        "reconstruction": image_errors(
            model.decode(class_codes, content_codes), images, lpips_network
        ),
        "leakage": leakage(class_codes, content_codes, data.class_ids, data.content_ids, seed),
    }
    if data.content_ids is not None:
        report["content_transfer"] = content_transfer_error(
            model.translate, data, num_pairs, seed, lpips_network, truths
        )
    return report
