"""Probes of the codes: what a classifier or a regression reads from them (leakage)."""

import numpy as np

# The fewest codes a probe or regression is fitted and scored on.
MIN_CODES = 4


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
