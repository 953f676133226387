"""A labelled image set in the layout of the LORD reference code."""

import contextlib
import dataclasses
import os
import zipfile

import numpy as np

from keras_lord.data.contract import CLASS_ID_KEY, IMAGE_KEY, SAMPLE_ID_KEY
from keras_lord.data.pixels import unit_float
from keras_lord.data.validation import validate_ids, validate_images
from keras_lord.utils.archive_limits import check_npy_member
from keras_lord.utils.files import atomic_path

# Beside the files of a preparation while it is written (`keras_lord.datasets.prepare`):
# they are not yet one dataset, so nothing reads them.
PREPARATION_MARK = "dataset.pending"


@contextlib.contextmanager
def open_npz(path):
    """Opens an `.npz` archive for reading, with a clear error for anything else.

    Args:
        path: the file.

    Yields:
        The `numpy.lib.npyio.NpzFile` (pickled objects refused).

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: for a folder, a `.npy` or other non-zip file, a damaged archive, or a
            file of an unfinished preparation.

    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Dataset file {path!r} does not exist.")
    if os.path.isdir(path):
        raise ValueError(f"{path} is a folder; pass the `.npz` file with the images.")
    if os.path.exists(os.path.join(os.path.dirname(path), PREPARATION_MARK)):
        raise ValueError(
            f"{path} belongs to a preparation that was stopped before it finished (its folder "
            f"holds {PREPARATION_MARK}); run the same `keras-lord prepare` again to finish it."
        )
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path} is not an `.npz` archive (a zip of arrays, as `np.savez` writes it); "
            "a single array saved with `np.save` needs `np.savez(path, imgs=..., classes=...)`."
        )
    try:
        archive = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ValueError(f"{path} is a damaged `.npz` archive ({error}).") from error
    try:
        yield archive
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(f"{path} is a damaged `.npz` archive ({error}).") from error
    finally:
        archive.close()


def read_array(archive, key: str, path) -> np.ndarray:
    """Reads one array of an open `.npz`, with a clear error for a damaged or unsafe one.

    Args:
        archive: from `open_npz`.
        key: the array's name.
        path: the file, for messages.

    Returns:
        The array.

    Raises:
        ValueError: if the array cannot be read, holds pickled Python objects, or
            declares more data than the file holds (`check_npy_member`).

    """
    if key + ".npy" in archive.zip.namelist():
        check_npy_member(archive.zip, key + ".npy", f"{path}: the array `{key}`")
    try:
        return archive[key]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise ValueError(
            f"{path}: the array `{key}` cannot be read ({error}); keras-lord reads numeric "
            "arrays only, never pickled objects. Write it again with `np.savez`."
        ) from error


@dataclasses.dataclass
class LordData:
    """Images labelled by class (and optionally by content), ready for `LordTrainer.fit`.

    The sample id of an image is its index in this set, the row of its content code.

    Args:
        images: `(N, H, W, C)` images, `uint8` in `[0, 255]` or floats in `[0, 1]`.
        class_ids: `(N,)` integer class of each image.
        num_classes: number of classes; defaults to `max(class_ids) + 1`.
        content_ids: optional `(N,)` integer content label of each image (e.g. the viewpoint),
            used only for evaluation.

    Raises:
        ValueError: for empty or mismatched arrays, pixels outside the valid range, or ids
            outside `[0, num_classes)`.

    Example:
    ```python
    data = keras_lord.data.LordData(images=images, class_ids=labels)
    trainer = keras_lord.LordTrainer(num_classes=data.num_classes,
                                     num_samples=data.num_samples,
                                     image_shape=data.image_shape, preset="small")
    trainer.compile()
    trainer.fit(data.inputs(), batch_size=64, epochs=100)
    ```

    """

    images: np.ndarray
    class_ids: np.ndarray
    num_classes: int | None = None
    content_ids: np.ndarray | None = None

    def __post_init__(self):
        self.images = validate_images(self.images)
        largest_id = np.iinfo(np.int32).max
        class_ids = validate_ids(self.class_ids, largest_id, "class_ids", len(self.images))
        if self.num_classes is None:
            self.num_classes = int(class_ids.max()) + 1
        self.num_classes = _class_count(self.num_classes)
        self.class_ids = validate_ids(class_ids, self.num_classes, "class_ids", len(self.images))
        if self.content_ids is not None:
            self.content_ids = validate_ids(
                self.content_ids, largest_id, "content_ids", len(self.images)
            )

    @property
    def num_samples(self) -> int:
        """Number of images."""
        return len(self.images)

    @property
    def image_shape(self) -> tuple:
        """`(height, width, channels)` of the images."""
        return tuple(int(v) for v in self.images.shape[1:])

    def inputs(self) -> dict:
        """Returns the training input of `LordTrainer.fit`.

        Returns:
            `{"image", "class_id", "sample_id"}` numpy arrays; sample ids are `0..N-1`.

        """
        return {
            IMAGE_KEY: self.images,
            CLASS_ID_KEY: self.class_ids,
            SAMPLE_ID_KEY: np.arange(self.num_samples, dtype="int32"),
        }

    def float_images(self) -> np.ndarray:
        """The images as `float32` in `[0, 1]`."""
        return unit_float(self.images)

    def subset(self, indices: np.ndarray) -> "LordData":
        """Selects images by index or boolean mask; class ids and `num_classes` are kept.

        Args:
            indices: integer indices or a boolean mask of length `N`.

        Returns:
            A new `LordData` whose sample ids are renumbered `0..len(indices)-1`.

        """
        return LordData(
            images=self.images[indices],
            class_ids=self.class_ids[indices],
            num_classes=self.num_classes,
            content_ids=None if self.content_ids is None else self.content_ids[indices],
        )

    def split_classes(self, held_out_classes: np.ndarray | list) -> tuple:
        """Splits into images of training classes and images of held-out classes.

        Args:
            held_out_classes: class ids to hold out.

        Returns:
            `(train, held_out)` `LordData` sets.

        """
        mask = np.isin(self.class_ids, np.asarray(held_out_classes))
        return self.subset(~mask), self.subset(mask)

    def save_npz(self, path: str | os.PathLike, extras: dict | None = None) -> None:
        """Writes the reference layout (`imgs`, `classes`, `contents`, `n_classes`) atomically.

        Args:
            path: destination `.npz` path.
            extras: other arrays to store alongside, one row per image (e.g. CelebA's
                `attributes`); `from_npz` ignores them, `np.load` reads them.

        Raises:
            ValueError: if an extra array's name is taken or it has another number of rows.

        """
        arrays = {
            "imgs": self.images,
            "classes": self.class_ids,
            "n_classes": np.int64(self.num_classes),
        }
        if self.content_ids is not None:
            arrays["contents"] = self.content_ids
        for name, values in (extras or {}).items():
            if name in arrays or name == "contents":
                raise ValueError(f"The extra array name {name!r} is taken by the layout.")
            if len(values) != self.num_samples:
                raise ValueError(
                    f"The extra array {name!r} has {len(values)} rows for {self.num_samples} "
                    "images."
                )
            arrays[name] = values
        with atomic_path(path, suffix=".npz") as temporary:
            np.savez(temporary, **arrays)

    @classmethod
    def from_npz(cls, path: str | os.PathLike) -> "LordData":
        """Reads an `.npz` in the LORD reference layout.

        Args:
            path: a file with `imgs` `(N, H, W, C)` uint8 (grayscale `(N, H, W)` is accepted),
                `classes` `(N,)`, optional `contents` `(N,)` and optional `n_classes`.

        Returns:
            The `LordData`.

        Raises:
            FileNotFoundError: if the file does not exist.
            KeyError: if `imgs` or `classes` is missing.
            ValueError: for a file that is no `.npz` archive, a damaged one, or bad arrays.

        """
        with open_npz(path) as archive:
            missing = [key for key in ("imgs", "classes") if key not in archive.files]
            if missing:
                raise KeyError(
                    f"{path} lacks {missing}; the LORD layout needs `imgs` (N, H, W, C) uint8 and "
                    f"`classes` (N,), with optional `contents` and `n_classes`. "
                    f"Found: {archive.files}."
                )
            images = read_array(archive, "imgs", path)
            if images.ndim == 3:
                images = images[..., None]
            num_classes = None
            if "n_classes" in archive.files:
                num_classes = read_array(archive, "n_classes", path)
                if num_classes.ndim != 0 or not np.issubdtype(num_classes.dtype, np.integer):
                    raise ValueError(
                        f"{path}: `n_classes` must be one integer; got an array of shape "
                        f"{num_classes.shape} and dtype {num_classes.dtype}."
                    )
                num_classes = int(num_classes)
            return cls(
                images=images,
                class_ids=read_array(archive, "classes", path),
                num_classes=num_classes,
                content_ids=(
                    read_array(archive, "contents", path) if "contents" in archive.files else None
                ),
            )


def _class_count(num_classes) -> int:
    value = np.asarray(num_classes)
    if value.ndim != 0 or value.dtype.kind not in "iu" or isinstance(num_classes, bool):
        raise ValueError(
            f"`num_classes` must be one positive integer; got {num_classes!r}. Leave it unset "
            "to take `max(class_ids) + 1`."
        )
    if int(value) < 1:
        raise ValueError(f"`num_classes` must be at least 1; got {int(value)}.")
    return int(value)
