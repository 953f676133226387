"""The training-input contract: keys, dtypes, ranges, id checks and step counting.

`LordData` builds inputs that satisfy it, `LordTrainer.fit` checks every input against it
(numpy dicts at once; `keras.utils.PyDataset` and `tf.data.Dataset` batch by batch), and
dataset loaders target it.
"""

import contextlib
import math
import sys

import keras
import numpy as np

from keras_lord.data.validation import validate_ids, validate_images

IMAGE_KEY = "image"
CLASS_ID_KEY = "class_id"
SAMPLE_ID_KEY = "sample_id"
# What a `tf.data` batch outside the float pixel range fails with.
PIXEL_RANGE_MESSAGE = "images must lie in [0, 1]: divide [0, 255] floats by 255 or pass uint8"


class TrainingContract:
    """What a LORD training input must hold, and the checks that enforce it.

    An input is a dict (or batches of dicts) with `"image"`, `(N, H, W, C)` `uint8` in
    `[0, 255]` or floats in `[0, 1]`, and one integer id vector per latent table (by default
    `"class_id"` and `"sample_id"`), each in `[0, rows of its table)`.

    Args:
        image_shape: `(height, width, channels)` the model takes.
        id_ranges: `{input key: number of rows}` of every table the ids index.

    Example:
    ```python
    contract = keras_lord.data.TrainingContract((32, 32, 3), {"class_id": 10, "sample_id": 500})
    steps = contract.count_steps(data.inputs(), batch_size=64)
    ```

    """

    def __init__(self, image_shape: tuple, id_ranges: dict):
        self.image_shape = tuple(int(v) for v in image_shape)
        self.id_ranges = {key: int(count) for key, count in id_ranges.items()}

    @property
    def keys(self) -> tuple:
        """The keys every input must have."""
        return (IMAGE_KEY, *self.id_ranges)

    def _missing_keys(self, keys, what):
        missing = [key for key in self.keys if key not in keys]
        if missing:
            attributes = [key for key in missing if key not in (CLASS_ID_KEY, SAMPLE_ID_KEY)]
            hint = f"; add the attribute ids {attributes} to it" if attributes else ""
            raise ValueError(
                f"{what} lacks {missing}; expected a dict with {self.keys} "
                f"(`LordData.inputs()` builds the image, class and sample entries{hint})."
            )

    def check_arrays(self, inputs: dict, name: str = "Training input") -> dict:
        """Validates a dict of arrays.

        Args:
            inputs: `{"image", <id keys>}` arrays (other entries are kept as they are).
            name: how to call the input in error messages.

        Returns:
            The dict with images as `uint8` or `float32` and ids as `int32` numpy arrays.

        Raises:
            ValueError: for missing keys, mismatched lengths, a wrong image shape, pixels
                outside the valid range or ids outside their tables.
            TypeError: for images or ids of a wrong dtype.

        """
        self._missing_keys(inputs, name)
        images = validate_images(inputs[IMAGE_KEY], IMAGE_KEY)
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(
                f"Images have shape {tuple(images.shape[1:])}; this model was built for "
                f"{self.image_shape}. Resize the images or build the trainer with "
                f"image_shape={tuple(images.shape[1:])}."
            )
        checked = dict(inputs, **{IMAGE_KEY: images})
        for key, count in self.id_ranges.items():
            checked[key] = validate_ids(inputs[key], count, key, len(images))
        return checked

    def check_element_spec(self, element_spec) -> None:
        """Validates the keys and image shape of a `tf.data.Dataset`'s elements.

        Args:
            element_spec: the dataset's `element_spec`.

        Raises:
            ValueError: for elements that are not dicts with the keys, or another image shape.

        """
        spec = element_spec[0] if isinstance(element_spec, tuple) else element_spec
        if not isinstance(spec, dict):
            raise ValueError(f"Dataset elements must be dicts with keys {self.keys}; got {spec}.")
        self._missing_keys(spec, "Dataset elements")
        shape = tuple(spec[IMAGE_KEY].shape[1:])
        if shape != self.image_shape:
            raise ValueError(
                f"Dataset images have shape {shape}; this model expects {self.image_shape}. "
                "Batch the dataset (`.batch(n)`) and resize its images."
            )

    def count_steps(self, x, batch_size: int | None = None, validation_split: float = 0.0):
        """Steps per epoch of an input, or `None` where it cannot be known.

        Args:
            x: a dict of arrays, a `keras.utils.PyDataset` or a `tf.data.Dataset`.
            batch_size: samples per batch of a dict (Keras' default: 32).
            validation_split: the share of a dict that `fit` holds out for validation.

        Returns:
            The number of training steps in one epoch.

        """
        if isinstance(x, dict):
            num_samples = len(x[IMAGE_KEY])
            if validation_split:
                # Keras keeps the first ceil(N * (1 - split)) samples for training.
                num_samples = int(math.ceil(num_samples * (1.0 - validation_split)))
            return math.ceil(num_samples / (batch_size or 32))
        if isinstance(x, keras.utils.PyDataset):
            return x.num_batches
        cardinality = int(x.cardinality())
        return cardinality if cardinality > 0 else None

    def checked(self, x, name: str = "Training input"):
        """Validates an input and returns it in a form that checks every batch it yields.

        A dict of arrays is checked whole, now. A `PyDataset` is checked on its first batch
        now and wrapped so that every batch is checked as it is read; a `tf.data.Dataset` is
        checked on its element spec now and mapped through assertions on its ids and pixel
        range, so a bad batch stops `fit` with the problem named.

        Args:
            x: a dict of arrays, a `keras.utils.PyDataset` or a `tf.data.Dataset`.
            name: how to call the input in error messages.

        Returns:
            The validated dict, the wrapped `PyDataset` or the mapped dataset.

        Raises:
            ValueError: for a bad input (see `check_arrays`).
            TypeError: for another kind of input.

        """
        if isinstance(x, dict):
            return self.check_arrays(x, name)
        if isinstance(x, keras.utils.PyDataset):
            checked = CheckedPyDataset(x, self)
            checked[0]  # noqa: B018 - the first batch is checked now, before any training
            return checked
        if hasattr(x, "element_spec"):
            self.check_element_spec(x.element_spec)
            return x.map(self._tf_assertions)
        raise TypeError(
            f"Training takes a dict of arrays {self.keys}, a tf.data.Dataset or a "
            f"keras.utils.PyDataset of such dicts; got {type(x).__name__}."
        )

    def _id_message(self, key: str) -> str:
        count = self.id_ranges[key]
        return f"`{key}` must lie in [0, {count}): remap the labels or raise the table size"

    def _tf_assertions(self, *element):
        import tensorflow as tf

        inputs = element[0]
        checks = []
        for key, count in self.id_ranges.items():
            ids = tf.cast(inputs[key], tf.int64)
            message = self._id_message(key)
            checks.append(tf.debugging.assert_non_negative(ids, message=message))
            checks.append(tf.debugging.assert_less(ids, tf.constant(count, tf.int64), message))
        images = inputs[IMAGE_KEY]
        if images.dtype.is_floating:
            message = PIXEL_RANGE_MESSAGE
            checks.append(tf.debugging.assert_greater_equal(images, 0.0, message=message))
            checks.append(tf.debugging.assert_less_equal(images, 1.0, message=message))
        with tf.control_dependencies(checks):
            element = tf.nest.map_structure(tf.identity, element)
        return element[0] if len(element) == 1 else element

    @contextlib.contextmanager
    def naming_failed_batches(self):
        """Turns a `tf.data` batch failing the contract's assertions into a `ValueError`.

        TensorFlow raises `InvalidArgumentError`, with the assertion's message inside pages
        of graph detail; this raises the message alone, as the checks of arrays do. Other
        errors pass unchanged.

        Yields:
            Nothing: wrap the `fit` or `evaluate` that reads the dataset.

        Raises:
            ValueError: naming what the batch broke.

        """
        try:
            yield
        except Exception as error:
            tensorflow = sys.modules.get("tensorflow")
            if tensorflow is None or not isinstance(error, tensorflow.errors.InvalidArgumentError):
                raise
            said = str(error)
            messages = [PIXEL_RANGE_MESSAGE] + [self._id_message(key) for key in self.id_ranges]
            broken = [message for message in messages if message in said]
            if not broken:
                raise
            raise ValueError(f"A batch of the input breaks the contract: {broken[0]}.") from error


class CheckedPyDataset(keras.utils.PyDataset):
    """A `PyDataset` that checks every batch of another one against a `TrainingContract`.

    Args:
        dataset: the `keras.utils.PyDataset` to read.
        contract: the contract its batches must satisfy.

    """

    def __init__(self, dataset: keras.utils.PyDataset, contract: TrainingContract):
        super().__init__(
            workers=dataset.workers,
            use_multiprocessing=dataset.use_multiprocessing,
            max_queue_size=dataset.max_queue_size,
        )
        self.dataset = dataset
        self.contract = contract

    def __getitem__(self, index):
        batch = self.dataset[index]
        inputs = batch[0] if isinstance(batch, tuple) else batch
        self.contract.check_arrays(
            {key: np.asarray(value) for key, value in inputs.items()}, f"Batch {index}"
        )
        return batch

    def __len__(self):
        return len(self.dataset)

    @property
    def num_batches(self):
        return self.dataset.num_batches

    def on_epoch_begin(self):
        self.dataset.on_epoch_begin()

    def on_epoch_end(self):
        self.dataset.on_epoch_end()
