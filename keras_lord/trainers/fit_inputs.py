"""What `LordTrainer.fit` feeds Keras: checked inputs, cached target features, one dataset."""

import contextlib

import keras
import numpy as np

from keras_lord import backend
from keras_lord.callbacks.resumable_checkpoint import ResumableCheckpoint
from keras_lord.data.batch_split import current_batch_split
from keras_lord.data.contract import CLASS_ID_KEY, IMAGE_KEY, SAMPLE_ID_KEY
from keras_lord.data.epoch_batches import EpochBatches
from keras_lord.losses.target_features import (
    caches_target_features,
    compute_target_features,
    image_fingerprint,
    target_feature_bytes,
)
from keras_lord.tables.content_initialization import (
    CONTENT_INITIALIZATIONS,
    ContentInitialization,
    choose_content_initialization,
)
from keras_lord.trainers.latent_learning_rate import (
    AUTO,
    auto_latent_learning_rate,
    describe,
    updates_per_code,
)


class TargetFeatureCache:
    """The frozen VGG's features of one set of target images, kept across `fit` calls.

    Stage 2 trains on the images of stage 1, so its `fit` finds their features computed
    already; images of another fingerprint replace them.

    Args:
        perceptual_loss: the trainer's `VGGPerceptualLoss`.

    """

    def __init__(self, perceptual_loss):
        self.perceptual_loss = perceptual_loss
        self._cached = None  # (fingerprint of the images, their features)

    @property
    def features(self) -> dict | None:
        """`{feature key: array}` of the images cached last, or `None`."""
        return None if self._cached is None else self._cached[1]

    def added_to(self, inputs: dict, setting: str, batch_size: int, verbose) -> dict:
        """`inputs` with the features of its images added, where `setting` caches them.

        Args:
            inputs: a checked dict of training arrays.
            setting: `compile`'s `target_feature_cache`.
            batch_size: images per batch of the features' computation.
            verbose: Keras verbosity: the computation shows a progress bar unless 0.

        Returns:
            `inputs`, or a new dict with the feature arrays besides.

        """
        images = inputs[IMAGE_KEY]
        if not caches_target_features(setting, self.perceptual_loss, np.shape(images)):
            return inputs
        fingerprint = image_fingerprint(images)
        if self._cached is None or self._cached[0] != fingerprint:
            self._cached = None  # frees the old ones before the new are computed
            if verbose != 0:
                megabytes = target_feature_bytes(self.perceptual_loss, np.shape(images)) / 1e6
                print(
                    f"keras-lord: the VGG features of the {len(images)} target images, "
                    f"computed once for all epochs ({megabytes:.0f} MB)"
                )
            features = compute_target_features(
                self.perceptual_loss, images, batch_size, verbose=verbose
            )
            self._cached = (fingerprint, features)
        return {**inputs, **self._cached[1]}


def fit_arguments(
    trainer, x, batch_size, epochs, steps_per_epoch, validation_split, shuffle, kwargs
):
    """Keras `fit` arguments for a LORD input: checked, fed in seeded epochs, decay sized.

    Args:
        trainer: the compiled `LordTrainer`.
        x: the training input (see `LordTrainer.fit`).
        batch_size: as given to `fit`.
        epochs: as given to `fit`.
        steps_per_epoch: as given to `fit`.
        validation_split: as given to `fit`.
        shuffle: as given to `fit`.
        kwargs: the other `fit` arguments (`verbose`, `initial_epoch`, `callbacks`).

    Returns:
        `(x, batch_size, steps_per_epoch, shuffle)` for `keras.Model.fit`.

    Raises:
        ValueError: for a bad input.
        TypeError: for another kind of input.

    """
    x = trainer.contract.checked(x)
    split = current_batch_split()
    if isinstance(x, dict):
        split.check(batch_size or 32, len(x[IMAGE_KEY]))
    first_epoch = _first_epoch(kwargs.get("initial_epoch", 0), kwargs.get("callbacks"))
    if _starts_content_codes(trainer, first_epoch):
        start = choose_content_initialization(
            trainer.settings.content_initialization, isinstance(x, dict)
        )
        trainer._start_content_codes(x, start, kwargs.get("verbose", "auto"))
    if isinstance(x, dict):
        x = trainer.target_features.added_to(
            x,
            trainer.settings.target_feature_cache,
            batch_size or 32,
            kwargs.get("verbose", "auto"),
        )
    steps = steps_per_epoch or trainer.contract.count_steps(x, batch_size, validation_split)
    if isinstance(x, dict) and split.distributed and not steps_per_epoch:
        # Distributed epochs drop their partial batch (`EpochBatches`).
        steps = len(x[IMAGE_KEY]) // (batch_size or 32)
    if trainer.settings.decay_steps is None and steps:
        trainer.set_decay_length(int(epochs) * int(steps))
    if trainer.settings.latent_learning_rate == AUTO and trainer.objective.trains_tables:
        images = len(x[IMAGE_KEY]) if isinstance(x, dict) else None
        updates = updates_per_code(int(epochs), steps_per_epoch, batch_size or 32, images)
        trainer.set_latent_learning_rate(auto_latent_learning_rate(updates))
        if kwargs.get("verbose", "auto") != 0:
            print(describe(trainer.latent_learning_rate, updates))
    if hasattr(x, "element_spec"):
        # A tf.data.Dataset comes in its own order; Keras warns that it cannot shuffle it.
        shuffle = False
    elif isinstance(x, dict) and steps_per_epoch is None and not validation_split:
        dataset, steps_of_dataset = backend.fit_inputs(
            x, batch_size or 32, shuffle, trainer.shuffle_seed, first_epoch, split
        )
        if dataset is not None:
            return dataset, None, steps_of_dataset, False
    return x, batch_size, steps_per_epoch, shuffle


def _starts_content_codes(trainer, first_epoch: int) -> bool:
    # Only a trainer that has not trained yet: a resumed `fit` restores its codes, and a
    # second `fit` goes on from where the first left them.
    return (
        trainer.objective.trains_tables
        and trainer.code_source.content_from_table
        and not trainer._content_codes_started
        and first_epoch == 0
        and int(keras.ops.convert_to_numpy(trainer.optimizer.iterations)) == 0
    )


@contextlib.contextmanager
def _sliced_by_process(x):
    # Keras' multi-process distributions refuse input they did not shard themselves unless
    # told it is sharded: `EpochBatches` feeds each process its slice already.
    distribution = keras.distribution.distribution()
    if not isinstance(x, EpochBatches) or x.split.process_slices == 1 or distribution is None:
        yield
        return
    previous = distribution.auto_shard_dataset
    distribution.auto_shard_dataset = False
    try:
        yield
    finally:
        distribution.auto_shard_dataset = previous


def _first_epoch(initial_epoch, callbacks) -> int:
    """The epoch a `fit` starts at: `initial_epoch`, or where a checkpoint of it stopped."""
    resumed = [
        callback.completed_epochs()
        for callback in callbacks or []
        if isinstance(callback, ResumableCheckpoint)
    ]
    return max([int(initial_epoch), *resumed])


class TrainerFitting:
    """`fit` and `evaluate` of `LordTrainer`: Keras' own, on checked and prepared inputs."""

    def fit(
        self,
        x: dict | None = None,
        y: None = None,
        batch_size: int | None = None,
        epochs: int = 1,
        steps_per_epoch: int | None = None,
        validation_split: float = 0.0,
        validation_data=None,
        shuffle: bool = True,
        **kwargs,
    ) -> keras.callbacks.History:
        """Trains the current stage, like `keras.Model.fit`, after checking the input.

        Every input is checked against the training contract (`trainer.contract`): a dict
        of arrays whole, before training; a dataset batch by batch. A dict of arrays is fed
        in seeded batches (`keras_lord.data.epoch_batches`), so a `fit` resumed by a
        `ResumableCheckpoint` sees the batches an uninterrupted one saw; on a CPU its
        images' VGG features are computed once (`trainer.target_features`, `compile`'s
        `target_feature_cache`). The cosine decay spans the whole `fit`.

        Args:
            x: a dict of numpy arrays `{"image", "class_id", "sample_id"}` (see
                `LordData.inputs()`), or a `tf.data.Dataset` / `keras.utils.PyDataset` of
                such dicts. Images are `uint8` in `[0, 255]` or floats in `[0, 1]`.
            y: unused; LORD reconstructs its input.
            batch_size: batch size for numpy input (Keras' default: 32).
            epochs: number of epochs.
            steps_per_epoch: steps per epoch; inferred when possible.
            validation_split: share of a dict input held out for validation, as in Keras.
            validation_data: validation input of the same form as `x`.
            shuffle: shuffle a dict input (or a `PyDataset`'s batches) every epoch.
            **kwargs: other `keras.Model.fit` arguments (`callbacks`, `verbose`, ...).

        Returns:
            The `History`.

        Raises:
            ValueError: for missing keys, a wrong image shape, pixel range or ids out of range.
            TypeError: for another kind of input.
            RuntimeError: if the trainer was not compiled.

        """
        if not self.compiled:
            raise RuntimeError("Call `trainer.compile()` before `fit`.")
        if y is not None:
            raise ValueError("LORD reconstructs its input: pass only `x`, not `y`.")
        if validation_data is not None:
            validation_data = self.contract.checked(validation_data, "Validation data")
        x, batch_size, steps_per_epoch, shuffle = fit_arguments(
            self, x, batch_size, epochs, steps_per_epoch, validation_split, shuffle, kwargs
        )
        with self.contract.naming_failed_batches(), _sliced_by_process(x):
            return super().fit(
                x,
                batch_size=batch_size,
                epochs=epochs,
                steps_per_epoch=steps_per_epoch,
                validation_split=validation_split,
                validation_data=validation_data,
                shuffle=shuffle,
                **kwargs,
            )

    def evaluate(self, x=None, y=None, **kwargs):
        """Evaluates the current stage's loss, like `keras.Model.evaluate`, after checks.

        Args:
            x: an input as `fit` takes it.
            y: unused; LORD reconstructs its input.
            **kwargs: other `keras.Model.evaluate` arguments.

        Returns:
            As `keras.Model.evaluate`.

        Raises:
            ValueError: for a bad input (see `fit`).

        """
        if y is not None:
            raise ValueError("LORD reconstructs its input: pass only `x`, not `y`.")
        with self.contract.naming_failed_batches():
            return super().evaluate(self.contract.checked(x, "Evaluation input"), **kwargs)

    def initialize_content_codes(
        self, x: dict, start: ContentInitialization | str = "pca", verbose="auto"
    ) -> None:
        """Sets where stage 1 starts the content codes of some training images.

        The first `fit` of stage 1 does this itself (`compile`'s
        `content_initialization`); call it for a start of other settings, or before a
        `fit` on a dataset with (a part of) the training images as arrays. A `fit` after it
        keeps the codes it set.

        Args:
            x: a dict of arrays `{"image", "class_id", "sample_id"}` (`LordData.inputs()`).
            start: a registered name (`keras_lord.tables.content_initialization`) or a
                `ContentInitialization`, e.g. `ClassCentredPCA(scale=1.0)`.
            verbose: 0 is silent; otherwise one line says where the codes start.

        Raises:
            ValueError: for a bad input, an unknown start, or a model whose content codes
                are not table rows.

        Example:
        ```python
        trainer.initialize_content_codes(data.inputs(), ClassCentredPCA(scale=1.0))
        trainer.fit(dataset, epochs=60)
        ```

        """
        if not self.code_source.content_from_table:
            raise ValueError(
                f"The content codes of `stage1_codes={self.stage1_codes!r}` come from an "
                "encoder, not a table: there is nothing to initialise."
            )
        if isinstance(start, str):
            start = CONTENT_INITIALIZATIONS.get(start)
        if start.needs_images and not isinstance(x, dict):
            raise ValueError(
                f"The {start.name!r} start reads the images: pass a dict of arrays "
                "(`LordData.inputs()`)."
            )
        self._start_content_codes(
            self.contract.checked(x) if start.needs_images else x, start, verbose
        )

    def _start_content_codes(self, x, start: ContentInitialization, verbose) -> None:
        # `x`: a checked input; a dict of arrays where `start` reads images.
        if start.needs_images:
            codes = start.codes(x[IMAGE_KEY], x[CLASS_ID_KEY], self.content_dim)
            if codes is not None:
                self.content_embedding.start_codes(x[SAMPLE_ID_KEY], codes)
        self._content_codes_started = True
        if verbose != 0:
            print(f"keras-lord: {start.describe()}")

    @property
    def latent_learning_rate(self) -> float | None:
        """The tables' initial learning rate; with `"auto"`, the one the last `fit` chose.

        `None` before `compile`.
        """
        schedule = self._table_schedule
        return None if schedule is None else schedule.initial_learning_rate

    def set_latent_learning_rate(self, rate: float) -> None:
        """Sets the tables' initial learning rate (`fit` does for `"auto"`).

        Args:
            rate: the rate at the start of the cosine decay.

        """
        if self._table_schedule.initial_learning_rate != rate:
            self._table_schedule.initial_learning_rate = float(rate)
            # As the decay length, the rate is baked into the step function when traced.
            self.train_function = None

    def set_decay_length(self, total_steps: int) -> None:
        """Sets the length of the cosine decays, in steps (`fit` does when not compiled in).

        Args:
            total_steps: the steps of the whole `fit`.

        """
        changed = False
        for schedule in self._decay_schedules:
            if schedule.decay_steps != total_steps:
                schedule.decay_steps = total_steps
                changed = True
        if changed:
            # The step function bakes the schedule length in when it is traced.
            self.train_function = None
