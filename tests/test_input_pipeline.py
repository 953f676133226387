import numpy as np

from keras_lord.backend.tensorflow import fit_inputs


def _passes(dataset, steps, num_passes):
    batches = iter(dataset)
    return [[next(batches) for _ in range(steps)] for _ in range(num_passes)]


def test_each_pass_is_one_shuffled_epoch_with_a_partial_last_batch():
    inputs = {
        "sample_id": np.arange(21, dtype="int32"),
        "image": np.arange(21 * 2, dtype="uint8").reshape(21, 2),
    }
    dataset, steps = fit_inputs(inputs, batch_size=8, shuffle=True, seed=0)
    assert steps == 3
    orders = []
    for batches in _passes(dataset, steps, 3):
        assert [len(batch["sample_id"]) for batch in batches] == [8, 8, 5]
        ids = np.concatenate([batch["sample_id"].numpy() for batch in batches])
        assert sorted(ids) == list(range(21)), "every sample once per epoch"
        images = np.concatenate([batch["image"].numpy() for batch in batches])
        np.testing.assert_array_equal(images, inputs["image"][ids])
        orders.append(ids.tolist())
    assert orders[0] != orders[1] != orders[2], "a new order every epoch"


def test_without_shuffle_the_order_is_kept():
    inputs = {"sample_id": np.arange(10, dtype="int32")}
    dataset, steps = fit_inputs(inputs, batch_size=4, shuffle=False, seed=None)
    for batches in _passes(dataset, steps, 2):
        ids = np.concatenate([batch["sample_id"].numpy() for batch in batches])
        assert ids.tolist() == list(range(10))
