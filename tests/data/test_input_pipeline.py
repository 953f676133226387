"""How numpy inputs reach `fit`: every sample once per epoch, in an order that is a function
of the seed and the epoch's number alone, the same for both feeders."""

import numpy as np
import pytest

from keras_lord.backend import generic, tensorflow
from keras_lord.data import EpochBatches, epoch_order

INPUTS = {
    "sample_id": np.arange(21, dtype="int32"),
    "image": np.arange(21 * 2, dtype="uint8").reshape(21, 2),
}


def tf_epochs(inputs, batch_size, shuffle, seed, first_epoch, num_epochs):
    dataset, steps = tensorflow.fit_inputs(inputs, batch_size, shuffle, seed, first_epoch)
    batches = iter(dataset)
    return [[next(batches) for _ in range(steps)] for _ in range(num_epochs)]


def py_dataset_epochs(inputs, batch_size, shuffle, seed, first_epoch, num_epochs):
    dataset, steps = generic.fit_inputs(inputs, batch_size, shuffle, seed, first_epoch)
    assert steps is None and isinstance(dataset, EpochBatches)
    dataset.on_epoch_end()  # Keras calls it once before the first epoch
    epochs = []
    for _ in range(num_epochs):
        dataset.on_epoch_begin()
        epochs.append([dataset[index] for index in range(len(dataset))])
        dataset.on_epoch_end()
    return epochs


@pytest.mark.parametrize("feeder", [tf_epochs, py_dataset_epochs])
@pytest.mark.parametrize("first_epoch", [0, 5])
def test_each_epoch_is_every_sample_once_in_the_order_of_its_number(feeder, first_epoch):
    epochs = feeder(INPUTS, 8, True, 7, first_epoch, 3)
    for number, batches in enumerate(epochs, start=first_epoch):
        assert [len(batch["sample_id"]) for batch in batches] == [8, 8, 5]
        ids = np.concatenate([np.asarray(batch["sample_id"]) for batch in batches])
        np.testing.assert_array_equal(ids, epoch_order(21, 7, number))
        images = np.concatenate([np.asarray(batch["image"]) for batch in batches])
        np.testing.assert_array_equal(images, INPUTS["image"][ids])


@pytest.mark.parametrize("feeder", [tf_epochs, py_dataset_epochs])
def test_without_shuffle_the_order_is_kept(feeder):
    for batches in feeder({"sample_id": np.arange(10, dtype="int32")}, 4, False, 0, 3, 2):
        ids = np.concatenate([np.asarray(batch["sample_id"]) for batch in batches])
        assert ids.tolist() == list(range(10))


def test_epoch_order_is_a_new_permutation_per_epoch_and_seed():
    orders = [tuple(epoch_order(50, seed, epoch)) for seed in (0, 1) for epoch in (0, 1, 2)]
    assert len(set(orders)) == 6
    assert all(sorted(order) == list(range(50)) for order in orders)
    np.testing.assert_array_equal(epoch_order(50, 1, 2), epoch_order(50, 1, 2))


def test_fit_starts_the_batch_order_where_the_checkpoint_stopped(tmp_path):
    """`fit` orders its first epoch by `initial_epoch` or by a `ResumableCheckpoint`'s epoch
    (the crash test checks the weights this gives)."""
    import json

    import keras

    from keras_lord.callbacks import ResumableCheckpoint
    from keras_lord.trainers.fit_inputs import _first_epoch

    checkpoint = ResumableCheckpoint(tmp_path)
    assert _first_epoch(3, None) == 3
    assert _first_epoch(0, [keras.callbacks.History(), checkpoint]) == 0
    (tmp_path / "state.json").write_text(json.dumps({"epoch": 4, "weights": "x.weights.h5"}))
    assert _first_epoch(0, [checkpoint]) == 4
    (tmp_path / "state.json").write_text("{")
    with pytest.raises(ValueError, match="not a checkpoint state"):
        _first_epoch(0, [checkpoint])


def test_the_tensorflow_feeder_runs_without_tf_data_autotuning():
    # The autotuning thread sleeps up to a minute between rounds, and deleting the iterator
    # when `fit` returned waited for it: stalls of 4 - 40 s at the end of a stage.
    dataset, _ = tensorflow.fit_inputs(INPUTS, 8, True, 0)
    assert dataset.options().autotune.enabled is False
