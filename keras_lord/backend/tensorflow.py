"""The TensorFlow side of the row-wise training step, table row access and input feeding."""

import math

import keras
import numpy as np
import tensorflow as tf

from keras_lord.backend import keras_compat
from keras_lord.data.epoch_batches import epoch_order


def gather_rows(variable, row_ids):
    """Rows of a 2-D variable, read without copying the whole variable.

    A gather on the resource variable itself: reading the variable first would make the
    step's later row writes copy the whole table (TensorFlow copies on write while a read
    of the buffer is alive).

    Args:
        variable: a `keras.Variable` (or a `tf.Variable`).
        row_ids: `(batch,)` integer rows.

    Returns:
        `(batch, dim)` rows.

    """
    native = variable.value if isinstance(variable, keras.Variable) else variable
    return tf.gather(native, row_ids)


def scatter_rows(optimizer, variable, row_ids, rows) -> None:
    """Writes `rows` into `variable` at `row_ids` in place (no copy of the table).

    Args:
        optimizer: the optimizer doing the write (its `assign` handles distribution).
        variable: the table.
        row_ids: `(batch,)` rows, each at most once.
        rows: `(batch, dim)` new values.

    """
    optimizer.assign(variable, tf.IndexedSlices(rows, row_ids))


def check_rowwise_supported() -> None:
    """Row-wise updates run on one TensorFlow replica.

    Raises:
        ValueError: under a `tf.distribute` strategy with several replicas.

    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if replicas > 1:
        raise ValueError(
            f"Row-wise table updates run on one TensorFlow replica; this strategy has "
            f"{replicas}. Pass `table_updates='dense'`, or use the JAX backend."
        )


def row_gradient_train_step(trainer, data):
    """The body of `train_step` that differentiates the batch's table rows.

    The rows are gathered outside of the tape and watched; the gradients of the network
    weights go to the trainer's optimizer, those of the rows to the tables' row-wise Adam.

    Args:
        trainer: a `LordTrainer` in stage 1 with row-wise table updates.
        data: the batch.

    Returns:
        The logs.

    """
    x, y, sample_weight = keras_compat.unpack_x_y_sample_weight(data)
    rows = trainer.tables.gather(x)
    with tf.GradientTape() as tape:
        tape.watch(list(rows.values()))
        inputs = {**x, **rows}
        y_pred = trainer(inputs, training=True)
        loss = keras_compat.tracked_loss(
            trainer, inputs, y, y_pred, sample_weight, tf.shape(x["image"])[0]
        )
        loss = trainer.optimizer.scale_loss(loss)
    weights = trainer.trainable_weights
    gradients = tape.gradient(loss, weights + list(rows.values()))
    trainer.optimizer.apply(gradients[: len(weights)], weights)
    row_gradients = dict(zip(rows, gradients[len(weights) :]))
    trainer.table_optimizer.apply_rows(trainer.tables.row_updates(x, row_gradients))
    return trainer.compute_metrics(x, y, y_pred, sample_weight=sample_weight)


def fit_inputs(
    inputs: dict, batch_size: int, shuffle: bool, seed: int, first_epoch: int = 0
) -> tuple:
    """Feeds numpy inputs to `fit` as one dataset that repeats, with `steps_per_epoch` set.

    Keras builds a new input iterator for every epoch of `fit`; under TensorFlow the first
    step on a new iterator took 1 - 2 s longer than the others in 3 to 4 epochs of 5 (LORD's
    `small` step, batch 64: about 10 % of such an epoch). Fed a dataset that repeats, `fit`
    keeps one iterator. Each pass is one epoch: the same batches Keras would make, the last
    one partial, in the order `epoch_order` gives that epoch.

    Args:
        inputs: dict of arrays with the same first dimension.
        batch_size: samples per batch.
        shuffle: whether each pass visits the samples in a new random order.
        seed: seed of the shuffling.
        first_epoch: the number of the first epoch (that of a resumed training).

    Returns:
        `(dataset, steps_per_epoch)`; the dataset shuffles itself, so `fit` must not.

    """
    num_samples = len(next(iter(inputs.values())))
    # Kept as tensors once; batches are gathered by index, so an epoch's order moves indices.
    tensors = {key: tf.convert_to_tensor(value) for key, value in inputs.items()}

    def order_of(epoch):
        return epoch_order(num_samples, seed, int(epoch), shuffle)

    def batches_of(epoch):
        order = tf.numpy_function(order_of, [epoch], tf.int64, stateful=False)
        order = tf.ensure_shape(order, [num_samples])
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    dataset = (
        tf.data.Dataset.range(first_epoch, np.iinfo("int64").max)
        .flat_map(batches_of)
        .map(lambda batch: {key: tf.gather(value, batch) for key, value in tensors.items()})
        .prefetch(tf.data.AUTOTUNE)
    )
    return dataset, math.ceil(num_samples / batch_size)
