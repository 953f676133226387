"""Content codes started at the principal components of each image's offset from its class."""

import numpy as np

from keras_lord.tables.content_initialization.base import ContentInitialization


class ClassCentredPCA(ContentInitialization):
    """Content codes started at the principal components of their image's class offset.

    Each code starts at the leading principal-component scores of its image minus the
    mean image of its class.
    Subtracting the class's mean image removes what the class fixes, so the leading
    components are the commonest ways images of one class differ: pose, view, lighting.
    Codes that start there tell the views of a class apart from the first step, which
    latent optimisation, updating each code once an epoch, is slow to learn from codes
    started near zero (`docs/quality.md`, "Content codes started from the images"). The
    codes carry no class mean by construction.

    The cost is bounded by the output, not by the dataset: images are averaged down to at
    most `max_side` pixels a side and read in chunks; the class means take one pass, the
    components come from a seeded subset of at most `fit_images` images, and the scores
    of all images one more pass.

    Args:
        scale: the root mean square of the codes (the fixed training noise has std 1).
        max_side: images are averaged over square blocks down to at most this many
            pixels a side before the analysis.
        fit_images: at most this many images (chosen with a fixed seed) give the
            components.
        chunk: images read at a time.

    Raises:
        ValueError: for a scale, side, subset or chunk size that is not positive.

    Example:
    ```python
    start = ClassCentredPCA(scale=1.0)
    codes = start.codes(data.images, data.class_ids, content_dim=128)  # (n, 128)
    ```

    """

    name = "pca"
    needs_images = True

    def __init__(
        self,
        scale: float = 0.3,
        max_side: int = 32,
        fit_images: int = 4096,
        chunk: int = 1024,
    ):
        if not scale > 0:
            raise ValueError(f"`scale` must be above 0; got {scale!r}.")
        for name, value in (("max_side", max_side), ("fit_images", fit_images), ("chunk", chunk)):
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise ValueError(f"`{name}` must be a whole number of at least 1; got {value!r}.")
        self.scale = float(scale)
        self.max_side = int(max_side)
        self.fit_images = int(fit_images)
        self.chunk = int(chunk)

    def codes(self, images, class_ids, content_dim):
        count = len(images)
        _, classes = np.unique(np.asarray(class_ids), return_inverse=True)
        means = self._class_means(images, classes)
        # Sorted, so that a memory-mapped file is read forwards.
        subset = np.sort(
            np.random.default_rng(0).choice(count, min(count, self.fit_images), replace=False)
        )
        centred = np.concatenate(
            [
                self._pixels(images[rows]) - means[classes[rows]]
                for rows in np.array_split(subset, -(-len(subset) // self.chunk))
            ]
        )
        # The rows of `axes` are the principal directions, strongest first.
        _, _, axes = np.linalg.svd(centred, full_matrices=False)
        axes = axes[:content_dim]
        spread = np.sqrt(np.sum(np.square(centred @ axes.T)) / (len(centred) * content_dim))
        factor = self.scale / spread if spread > 0 else 0.0
        codes = np.zeros((count, content_dim), "float32")
        for start in range(0, count, self.chunk):
            stop = min(start + self.chunk, count)
            offsets = self._pixels(images[start:stop]) - means[classes[start:stop]]
            codes[start:stop, : len(axes)] = offsets @ axes.T * factor
        return codes

    def describe(self):
        return (
            "content codes start at the principal components of each image minus its "
            f"class's mean image (root mean square {self.scale:g})"
        )

    def _class_means(self, images, classes):
        sums = np.zeros((classes.max() + 1, self._pixels(images[:1]).shape[1]), "float64")
        for start in range(0, len(images), self.chunk):
            stop = min(start + self.chunk, len(images))
            np.add.at(sums, classes[start:stop], self._pixels(images[start:stop]))
        return (sums / np.bincount(classes)[:, None]).astype("float32")

    def _pixels(self, images):
        """`(n, features)` float32 pixels in [0, 1], averaged down to `max_side` a side."""
        images = np.asarray(images)
        pixels = images.astype("float32")
        if np.issubdtype(images.dtype, np.integer):
            pixels /= 255.0
        count, height, width, channels = pixels.shape
        block = -(-max(height, width) // self.max_side)
        if block > 1:
            height, width = height - height % block, width - width % block
            pixels = pixels[:, :height, :width].reshape(
                count, height // block, block, width // block, block, channels
            )
            pixels = pixels.mean(axis=(2, 4))
        return pixels.reshape(count, -1)
