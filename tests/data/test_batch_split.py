import numpy as np
import pytest

from keras_lord.data import BatchSplit, EpochBatches, current_batch_split, epoch_order


def inputs(count):
    return {"sample_id": np.arange(count), "image": np.arange(count * 2).reshape(count, 2)}


def test_no_distribution_is_unsplit():
    assert current_batch_split() == BatchSplit()
    assert not BatchSplit().distributed


def test_a_distributed_epoch_drops_its_partial_batch_and_keeps_the_order():
    whole = EpochBatches(inputs(30), batch_size=8, seed=4, first_epoch=2)
    split = EpochBatches(inputs(30), 8, seed=4, first_epoch=2, split=BatchSplit(devices=4))
    assert len(whole) == 4 and len(split) == 3
    order = epoch_order(30, seed=4, epoch=2)
    for index in range(3):
        np.testing.assert_array_equal(split[index]["sample_id"], whole[index]["sample_id"])
        np.testing.assert_array_equal(split[index]["sample_id"], order[index * 8 : index * 8 + 8])
    assert len(whole[3]["sample_id"]) == 6


def test_processes_feed_their_slices_of_one_global_batch():
    whole = EpochBatches(inputs(40), batch_size=12, seed=1, split=BatchSplit(devices=4))
    slices = [
        EpochBatches(
            inputs(40),
            batch_size=12,
            seed=1,
            split=BatchSplit(devices=4, process_slices=3, process_slice=index),
        )
        for index in range(3)
    ]
    for batches in [whole, *slices]:
        batches.on_epoch_begin()
        batches.on_epoch_begin()  # the second epoch's order
    for index in range(len(whole)):
        together = np.concatenate([batches[index]["sample_id"] for batches in slices])
        np.testing.assert_array_equal(together, whole[index]["sample_id"])
        assert [len(batches[index]["image"]) for batches in slices] == [4, 4, 4]


@pytest.mark.parametrize(
    "split, batch_size, count, message",
    [
        (BatchSplit(devices=4), 10, 40, "multiple of 4"),
        (BatchSplit(devices=2, process_slices=3), 8, 40, "3 processes"),
        (BatchSplit(devices=4), 16, 12, "at most 12"),
    ],
)
def test_a_batch_that_does_not_split_is_refused(split, batch_size, count, message):
    with pytest.raises(ValueError, match=message):
        EpochBatches(inputs(count), batch_size=batch_size, seed=0, split=split)
