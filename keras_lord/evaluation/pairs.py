"""Translation pairs of the evaluation: images of different classes, and their references."""

import numpy as np

from keras_lord.data.lord_data import LordData


def draw_pairs(class_ids: np.ndarray, num_pairs: int = 500, seed: int = 0) -> tuple:
    """Draws random pairs of images of different classes, as every transfer protocol does.

    `num_pairs` class images and then `num_pairs` content images are drawn uniformly, with
    replacement; the pairs whose two images share a class are dropped.

    Args:
        class_ids: `(N,)` class of each image.
        num_pairs: pairs to draw before dropping same-class ones.
        seed: seed of the draw.

    Returns:
        `(class_sources, content_sources)`: index arrays of equal length, at most
        `num_pairs`, each pair of different classes.

    Example:
    ```python
    class_ids = np.repeat(np.arange(4), 10)
    first, second = keras_lord.evaluation.draw_pairs(class_ids, num_pairs=100)
    assert (class_ids[first] != class_ids[second]).all()
    ```

    """
    class_ids = np.asarray(class_ids)
    rng = np.random.default_rng(seed)
    first = rng.integers(0, len(class_ids), num_pairs)
    second = rng.integers(0, len(class_ids), num_pairs)
    different = class_ids[first] != class_ids[second]
    return first[different], second[different]


def image_index(data: LordData) -> dict:
    """Where each image of `data` is, by its labels.

    Args:
        data: images with `class_ids` and `content_ids`.

    Returns:
        `{(class id, content id): row}`; of several images with the same labels, the last.

    """
    return {(c, k): i for i, (c, k) in enumerate(zip(data.class_ids, data.content_ids))}


def ground_truth_pairs(
    data: LordData, num_pairs: int = 500, seed: int = 0, truths: LordData | None = None
) -> tuple:
    """Draws (class source, content source, ground truth) triples for content transfer.

    Pairs `(i, j)` of images of different classes are drawn at random (`draw_pairs`); the
    ground truth is an image of `i`'s class with `j`'s content label. Pairs without one are
    skipped.

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

    Example:
    ```python
    first, second, truth = keras_lord.evaluation.ground_truth_pairs(test_data)
    references = test_data.images[truth]  # class of `first`, content of `second`
    ```

    """
    truths = data if truths is None else truths
    if data.content_ids is None or truths.content_ids is None:
        raise ValueError(
            "Content transfer needs content labels (`contents` in the .npz) to find the "
            "ground-truth image of each translation."
        )
    if len(np.unique(data.class_ids)) < 2:
        raise ValueError("Content transfer needs images of at least two classes.")
    index = image_index(truths)
    triples = [
        (i, j, index[(data.class_ids[i], data.content_ids[j])])
        for i, j in zip(*draw_pairs(data.class_ids, num_pairs, seed))
        if (data.class_ids[i], data.content_ids[j]) in index
    ]
    if not triples:
        raise ValueError("No pair of images has a ground truth: check the content labels.")
    return tuple(np.array(column) for column in zip(*triples))


def nearest_landmark_pairs(
    class_ids: np.ndarray, landmarks: np.ndarray, num_pairs: int = 500, seed: int = 0
) -> tuple:
    """Content-transfer pairs where no content labels exist: the paper's CelebA protocol.

    Pairs `(i, j)` of images of different classes (identities) are drawn at random
    (`draw_pairs`); the reference of the translation (class of `i`, content of `j`) is the
    image of `i`'s class whose facial landmarks lie nearest (Euclidean, over all points) to
    `j`'s. The paper detected 68 landmarks; CelebA's annotation files give 5 (eyes, nose,
    mouth corners). The class image `i` itself is a reference only when its class has no
    other image, so that copying the class image does not score a perfect match by
    construction.

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
    triples = []
    for i, j in zip(*draw_pairs(class_ids, num_pairs, seed)):
        candidates = members[class_ids[i]]
        if len(candidates) > 1:
            candidates = candidates[candidates != i]
        distances = np.linalg.norm(points[candidates] - points[j], axis=1)
        triples.append((i, j, candidates[np.argmin(distances)]))
    if not triples:
        raise ValueError("No pair of images of different classes was drawn: draw more pairs.")
    return tuple(np.array(column) for column in zip(*triples))
