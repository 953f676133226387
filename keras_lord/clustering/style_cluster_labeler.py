"""Style clusters within each class (the paper's Algorithm 1, appendix A.8)."""

import hashlib
import json
import os

import numpy as np

from keras_lord.data.pixels import unit_float
from keras_lord.data.validation import validate_ids, validate_images
from keras_lord.utils.checks import positive_integer
from keras_lord.utils.files import atomic_path

STATISTICS = ("mean_std", "gram")
DEFAULT_STYLE_LAYERS = ("block1_conv2", "block2_conv2")
# Classes above this many images are clustered with MiniBatchKMeans.
MINI_BATCH_ABOVE = 10_000


class StyleClusterLabeler:
    """Splits every class into style clusters and labels images by (class, style).

    LORD assumes a class fixes everything but the content. Where a class varies in style
    (shoes of every colour in the "photo" domain), the paper clusters each class by style
    first and trains LORD on the joint `(class, style)` labels, so that a translation can
    be asked for in a chosen style. Style features are statistics of early layers of a
    frozen ImageNet VGG16 (the weights the perceptual loss reads offline): per-channel mean
    and standard deviation over the image (`"mean_std"`), or the Gram matrices' upper
    triangles (`"gram"`), concatenated over `feature_layers` and standardised over the
    fitted images. Each class is clustered with k-means (scikit-learn's `KMeans`, or
    `MiniBatchKMeans` above 10,000 images) into `styles_per_class` clusters.

    A class with fewer images than `styles_per_class` gets one cluster per image instead
    (and `cluster_counts` says so): k-means cannot make more clusters than points.

    Features are computed once per set of images and kept (keyed by a hash of the pixels),
    so a second `fit` with another `styles_per_class` reuses them.

    Args:
        styles_per_class: clusters per class (the paper's `l`).
        feature_layers: VGG16 layers whose statistics are the style features.
        statistics: `"mean_std"` or `"gram"`.
        seed: seed of k-means.
        batch_size: images per VGG batch.
        verbose: a progress bar for the feature extraction.

    Attributes:
        cluster_counts: after `fit`, `{class id: clusters}`.
        num_labels: after `fit`, the number of joint labels.
        class_of_label: after `fit`, `(num_labels,)` the original class of each joint label.
        style_of_label: after `fit`, `(num_labels,)` the style index within its class.

    Raises:
        ValueError: for `styles_per_class < 1`, an unknown statistic or VGG16 layer.

    Example:
    ```python
    labeler = keras_lord.StyleClusterLabeler(styles_per_class=4)
    joint = labeler.fit_predict(data.images, data.class_ids)
    styled = keras_lord.data.LordData(data.images, joint, labeler.num_labels)
    labeler.save("styles.npz")
    ```

    """

    def __init__(
        self,
        styles_per_class: int = 2,
        feature_layers: tuple = DEFAULT_STYLE_LAYERS,
        statistics: str = "mean_std",
        seed: int = 0,
        batch_size: int = 64,
        verbose: bool = True,
    ):
        from keras_lord.backbones.vgg16 import check_vgg16_layers

        if statistics not in STATISTICS:
            raise ValueError(f"`statistics` must be one of {STATISTICS}; got {statistics!r}.")
        self.styles_per_class = positive_integer("styles_per_class", styles_per_class)
        self.feature_layers = check_vgg16_layers(feature_layers)
        self.statistics = statistics
        self.seed = int(seed)
        self.batch_size = int(batch_size)
        self.verbose = verbose
        self.cluster_counts = None
        self.num_labels = None
        self.class_of_label = None
        self.style_of_label = None
        self._centroids = {}
        self._scale = None
        self._network = None
        self._feature_cache = {}

    # ------------------------------------------------------------------ features

    def style_features(self, images: np.ndarray) -> np.ndarray:
        """The raw (unstandardised) style features of images, computed once per image set.

        Args:
            images: `(N, H, W, C)` `uint8` or floats in `[0, 1]`, C 1 or 3.

        Returns:
            `(N, features)` float64.

        Raises:
            ValueError: for images of a wrong shape, dtype or range.

        """
        images = validate_images(images)
        key = hashlib.sha1(images.tobytes()).hexdigest() + str(images.shape)
        if key not in self._feature_cache:
            self._feature_cache[key] = self._extract(images)
        return self._feature_cache[key]

    def _extract(self, images) -> np.ndarray:
        import keras
        from keras import ops

        from keras_lord.losses.vgg_perceptual_loss import VGGPerceptualLoss

        if self._network is None:
            self._network = VGGPerceptualLoss(feature_layers=self.feature_layers)
        progress = keras.utils.Progbar(len(images), unit_name="image") if self.verbose else None
        chunks = []
        for start in range(0, len(images), self.batch_size):
            batch = unit_float(images[start : start + self.batch_size])
            statistics = []
            for maps in self._network.features(batch):
                maps = ops.cast(maps, "float32")
                if self.statistics == "mean_std":
                    statistics += [ops.mean(maps, axis=(1, 2)), ops.std(maps, axis=(1, 2))]
                else:
                    flat = ops.reshape(maps, (ops.shape(maps)[0], -1, maps.shape[-1]))
                    gram = ops.einsum("bpc,bpd->bcd", flat, flat) / flat.shape[1]
                    channels = maps.shape[-1]
                    rows, columns = np.triu_indices(channels)
                    flat_gram = ops.reshape(gram, (ops.shape(gram)[0], channels * channels))
                    statistics.append(ops.take(flat_gram, rows * channels + columns, axis=1))
            chunks.append(ops.convert_to_numpy(ops.concatenate(statistics, axis=-1)))
            if progress is not None:
                progress.add(len(batch))
        return np.concatenate(chunks).astype("float64")

    # ------------------------------------------------------------------ clustering

    def fit(self, images: np.ndarray, class_ids: np.ndarray) -> "StyleClusterLabeler":
        """Clusters every class of the images into styles.

        Args:
            images: `(N, H, W, C)` images.
            class_ids: `(N,)` integer class of each image.

        Returns:
            The labeler itself.

        Raises:
            ValueError: for bad images, ids of another length or negative ids.

        """
        from sklearn.cluster import KMeans, MiniBatchKMeans

        features = self.style_features(images)
        class_ids = validate_ids(class_ids, np.iinfo(np.int32).max, "class_ids", len(features))
        mean, std = features.mean(0), features.std(0)
        self._scale = (mean, np.where(std > 0, std, 1.0))
        scaled = (features - mean) / self._scale[1]
        self._centroids, self.cluster_counts = {}, {}
        for label in np.unique(class_ids):
            members = scaled[class_ids == label]
            clusters = min(self.styles_per_class, len(members))
            kind = MiniBatchKMeans if len(members) > MINI_BATCH_ABOVE else KMeans
            kmeans = kind(n_clusters=clusters, random_state=self.seed, n_init=10).fit(members)
            self._centroids[int(label)] = kmeans.cluster_centers_
            self.cluster_counts[int(label)] = clusters
        self._index_labels()
        return self

    def _index_labels(self):
        classes = sorted(self._centroids)
        self.class_of_label = np.repeat(classes, [len(self._centroids[c]) for c in classes])
        self.style_of_label = np.concatenate(
            [np.arange(len(self._centroids[c])) for c in classes]
        ).astype("int64")
        self.num_labels = int(len(self.class_of_label))
        self._first_label = dict(
            zip(classes, np.cumsum([0] + [len(self._centroids[c]) for c in classes[:-1]]))
        )

    def predict(self, images: np.ndarray, class_ids: np.ndarray) -> np.ndarray:
        """Joint `(class, style)` labels: each image's nearest style of its own class.

        Args:
            images: `(N, H, W, C)` images, e.g. never seen by `fit`.
            class_ids: `(N,)` their classes, each one `fit` saw.

        Returns:
            `(N,)` int64 joint labels in `[0, num_labels)`; `class_of_label[joint]` gives
            back `class_ids`.

        Raises:
            RuntimeError: before `fit`.
            ValueError: for a class `fit` did not see, or bad images or ids.

        """
        if self._scale is None:
            raise RuntimeError("Call `fit` (or load a fitted labeler) before `predict`.")
        features = self.style_features(images)
        class_ids = validate_ids(class_ids, np.iinfo(np.int32).max, "class_ids", len(features))
        unseen = sorted(set(np.unique(class_ids).tolist()) - set(self._centroids))
        if unseen:
            raise ValueError(
                f"Classes {unseen[:5]} were not fitted; fit the labeler on images of every "
                "class it must label."
            )
        scaled = (features - self._scale[0]) / self._scale[1]
        joint = np.empty(len(features), "int64")
        for label in np.unique(class_ids):
            rows = class_ids == label
            centroids = self._centroids[int(label)]
            # |a - b|^2 without the (images, clusters, features) difference array.
            distances = (centroids**2).sum(1)[None, :] - 2 * scaled[rows] @ centroids.T
            joint[rows] = self._first_label[int(label)] + distances.argmin(1)
        return joint

    def fit_predict(self, images: np.ndarray, class_ids: np.ndarray) -> np.ndarray:
        """`fit`, then the joint labels of the same images (see `predict`)."""
        return self.fit(images, class_ids).predict(images, class_ids)

    # ------------------------------------------------------------------ saving

    def save(self, path: str | os.PathLike) -> None:
        """Writes the fitted labeler to an `.npz` (arrays and a JSON config; no pickle).

        Args:
            path: destination, ending in `.npz`.

        Raises:
            RuntimeError: before `fit`.

        """
        if self._scale is None:
            raise RuntimeError("Nothing to save: call `fit` first.")
        config = {
            "styles_per_class": self.styles_per_class,
            "feature_layers": list(self.feature_layers),
            "statistics": self.statistics,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "classes": sorted(self._centroids),
        }
        arrays = {f"centroids_{c}": self._centroids[c] for c in self._centroids}
        with atomic_path(path, suffix=".npz") as temporary:
            np.savez(
                temporary,
                config=np.array(json.dumps(config)),
                scale_mean=self._scale[0],
                scale_std=self._scale[1],
                **arrays,
            )

    @classmethod
    def load(cls, path: str | os.PathLike, verbose: bool = True) -> "StyleClusterLabeler":
        """Reads a labeler `save` wrote.

        Args:
            path: the `.npz`.
            verbose: progress bars of later feature extractions.

        Returns:
            The fitted `StyleClusterLabeler`.

        Raises:
            FileNotFoundError: if `path` does not exist.
            ValueError: if the file is not a saved labeler.

        """
        with np.load(path, allow_pickle=False) as archive:
            if "config" not in archive.files:
                raise ValueError(f"{path} is not a saved StyleClusterLabeler (no `config`).")
            config = json.loads(str(archive["config"]))
            classes = config.pop("classes")
            labeler = cls(**config, verbose=verbose)
            labeler._scale = (archive["scale_mean"], archive["scale_std"])
            labeler._centroids = {int(c): archive[f"centroids_{c}"] for c in classes}
        labeler.cluster_counts = {c: len(v) for c, v in labeler._centroids.items()}
        labeler._index_labels()
        return labeler
