"""The batches of an epoch as a function of the seed and the epoch's number alone.

Keras shuffles numpy input with the global NumPy generator, and `tf.data` reshuffles by
counting passes from the moment its iterator is made; either way a `fit` resumed at epoch
`k` visits the samples in another order than an uninterrupted one did. Here the order of
epoch `k` is `default_rng([seed, k]).permutation(n)`, the same under every backend, so a
training resumed from a checkpoint sees the batches the uninterrupted one saw.
"""

import math

import keras
import numpy as np

from keras_lord.data.batch_split import UNSPLIT, BatchSplit


def epoch_order(num_samples: int, seed: int, epoch: int, shuffle: bool = True) -> np.ndarray:
    """The order in which epoch `epoch` visits the samples.

    Args:
        num_samples: number of samples.
        seed: the training's seed.
        epoch: the epoch's number (0 for the first).
        shuffle: whether to shuffle; if false, the samples come in their order.

    Returns:
        `(num_samples,)` int64 sample indices.

    Example:
    ```python
    epoch_order(5, seed=0, epoch=3)  # the same five indices in every process
    ```

    """
    if not shuffle:
        return np.arange(num_samples, dtype="int64")
    generator = np.random.default_rng([int(seed), int(epoch)])
    return generator.permutation(num_samples).astype("int64")


class EpochBatches(keras.utils.PyDataset):
    """Batches of a dict of arrays, in the order `epoch_order` gives each epoch.

    Under a distribution (`split.distributed`), every global batch is full: the epoch's
    last, partial batch is dropped rather than padded, since padded rows would have to be
    masked out of the loss, the metrics and the row-wise table updates alike; the next
    epoch's order is another permutation, so the dropped samples change from epoch to
    epoch. Each process serves its own slice of every global batch (Keras' JAX trainer
    assembles the global batch from the processes' local rows), cut from the one order all
    processes compute from the seed: the order does not depend on the device count.

    Args:
        inputs: dict of arrays with the same first dimension.
        batch_size: samples per global batch (the last batch of an epoch may be smaller
            unless `split` is distributed).
        seed: the training's seed.
        first_epoch: the number of the first epoch served (that of a resumed training).
        shuffle: whether each epoch visits the samples in a new order.
        split: the `keras_lord.data.BatchSplit` of the distribution the batches
            feed; checked against `batch_size`.
        **kwargs: `keras.utils.PyDataset` arguments (`workers`, ...).

    Raises:
        ValueError: if a global batch does not split evenly over `split`.

    Example:
    ```python
    batches = EpochBatches(data.inputs(), batch_size=64, seed=0, first_epoch=10)
    trainer.fit(batches, epochs=20, initial_epoch=10)
    ```

    """

    def __init__(
        self,
        inputs: dict,
        batch_size: int,
        seed: int,
        first_epoch: int = 0,
        shuffle: bool = True,
        split: BatchSplit = UNSPLIT,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.inputs = inputs
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.first_epoch = int(first_epoch)
        self.shuffle = shuffle
        self.num_samples = len(next(iter(inputs.values())))
        split.check(self.batch_size, self.num_samples)
        self.split = split
        self._epochs_begun = 0
        self._order = epoch_order(self.num_samples, self.seed, self.first_epoch, shuffle)

    def __len__(self):
        if self.split.distributed:
            return self.num_samples // self.batch_size
        return math.ceil(self.num_samples / self.batch_size)

    def __getitem__(self, index):
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        if self.split.process_slices > 1:
            local = self.batch_size // self.split.process_slices
            rows = rows[self.split.process_slice * local : (self.split.process_slice + 1) * local]
        return {key: value[rows] for key, value in self.inputs.items()}

    def on_epoch_begin(self):
        # Counted at the beginning: Keras also calls `on_epoch_end` once before training.
        epoch = self.first_epoch + self._epochs_begun
        self._epochs_begun += 1
        self._order = epoch_order(self.num_samples, self.seed, epoch, self.shuffle)
