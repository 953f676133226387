"""Translation into every style of a target class, or into the style of a reference image."""

import keras
import numpy as np

from keras_lord.clustering.style_cluster_labeler import StyleClusterLabeler
from keras_lord.data.validation import validate_ids, validate_images


class StyleTranslator:
    """Domain translation with style clusters (the paper's figure 5, appendix A.8).

    A LORD model trained on the joint `(class, style)` labels of a `StyleClusterLabeler`
    has one class code per style of every class. This gives each joint label the mean of
    the class encoder's codes of its images, so that an image's content can be rendered in
    every style of a target class (diversity: edges to shoes of each colour), or in the
    style of a reference image of that class (style-guided translation).

    Args:
        model: a `LordModel` (or `LordTrainer` in stage 2) trained on the joint labels.
        labeler: the fitted `StyleClusterLabeler` that made them.
        images: `(N, H, W, C)` images with joint labels, e.g. the training images.
        labels: `(N,)` their joint labels (`labeler.fit_predict`'s output).

    Attributes:
        codes: `(labeler.num_labels, class_dim)` the class code of each joint label (NaN
            for a label that no image has).

    Raises:
        ValueError: if the labeler is not fitted, or for images or labels that do not match.

    Example:
    ```python
    labeler = keras_lord.StyleClusterLabeler(styles_per_class=3)
    joint = labeler.fit_predict(data.images, data.class_ids)
    # ... train LORD on (data.images, joint) ...
    translator = keras_lord.StyleTranslator(model, labeler, data.images, joint)
    every_style = translator.translate(edge_maps, target_class=1)  # (n, 3, H, W, C)
    guided = translator.translate_like(edge_maps, reference_photos, target_class=1)
    ```

    """

    def __init__(
        self,
        model: keras.Model,
        labeler: StyleClusterLabeler,
        images: np.ndarray,
        labels: np.ndarray,
    ):
        if labeler.num_labels is None:
            raise ValueError("The StyleClusterLabeler is not fitted: call `fit` first.")
        images = validate_images(images, name="images")
        labels = validate_ids(labels, labeler.num_labels, "labels", len(images))
        self.model = model
        self.labeler = labeler
        class_codes = model.encode_class(images)
        codes = np.full((labeler.num_labels, class_codes.shape[-1]), np.nan, "float32")
        for label in np.unique(labels):
            codes[label] = class_codes[labels == label].mean(axis=0)
        self.codes = codes

    def styles_of(self, target_class: int) -> np.ndarray:
        """The joint labels of a class's styles.

        Args:
            target_class: an original class id.

        Returns:
            `(styles,)` joint labels, in style order.

        Raises:
            ValueError: for a class the labeler has no styles of.

        """
        labels = np.flatnonzero(self.labeler.class_of_label == target_class)
        labels = labels[~np.isnan(self.codes[labels, 0])]
        if not len(labels):
            raise ValueError(
                f"Class {target_class!r} has no styles here: the labeler's classes are "
                f"{sorted(set(self.labeler.class_of_label.tolist()))}."
            )
        return labels

    def translate(self, content_images: np.ndarray, target_class: int) -> np.ndarray:
        """Each image's content rendered in every style of `target_class`.

        Args:
            content_images: `(n, H, W, C)` images of any class.
            target_class: the original class (domain) to translate into.

        Returns:
            `(n, styles, H, W, C)` float images in `[0, 1]`.

        Raises:
            ValueError: for a class without styles, or bad images.

        """
        content_images = validate_images(content_images, name="content_images")
        labels = self.styles_of(target_class)
        content_codes = self.model.encode_content(content_images)
        count = len(content_images)
        images = self.model.decode(
            np.tile(self.codes[labels], (count, 1)), np.repeat(content_codes, len(labels), axis=0)
        )
        return images.reshape((count, len(labels)) + images.shape[1:])

    def translate_like(
        self,
        content_images: np.ndarray,
        reference_images: np.ndarray,
        target_class: int | None = None,
    ) -> np.ndarray:
        """Each image's content rendered in the style of the matching reference image.

        Args:
            content_images: `(n, H, W, C)` images of any class.
            reference_images: `(n, H, W, C)` images whose style to take.
            target_class: the references' original class. Given, each reference is
                labelled with its nearest style cluster and that style's code is used;
                `None` uses the class encoder's code of the reference itself (LORD's own
                translation, which also works for references of unseen styles).

        Returns:
            `(n, H, W, C)` float images in `[0, 1]`.

        Raises:
            ValueError: for images of different counts or shapes.

        """
        content_images = validate_images(content_images, name="content_images")
        reference_images = validate_images(reference_images, name="reference_images")
        if len(reference_images) != len(content_images):
            raise ValueError(
                f"One reference per content image: got {len(reference_images)} references "
                f"for {len(content_images)} content images."
            )
        if target_class is None:
            class_codes = self.model.encode_class(reference_images)
        else:
            classes = np.full(len(reference_images), target_class)
            class_codes = self.codes[self.labeler.predict(reference_images, classes)]
        return self.model.decode(class_codes, self.model.encode_content(content_images))
