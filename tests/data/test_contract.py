import keras
import numpy as np
import pytest
from conftest import tiny_trainer

from keras_lord.data import CheckedPyDataset, TrainingContract


@pytest.fixture
def contract():
    return TrainingContract((8, 8, 3), {"class_id": 3, "sample_id": 10})


def batch(count=4, **overrides):
    inputs = {
        "image": np.zeros((count, 8, 8, 3), "uint8"),
        "class_id": np.zeros(count, "int32"),
        "sample_id": np.arange(count, dtype="int32"),
    }
    inputs.update(overrides)
    return inputs


def test_arrays_are_checked_whole(contract):
    checked = contract.check_arrays(batch(class_id=np.array([0.0, 1.0, 2.0, 2.0])))
    assert checked["class_id"].dtype == np.int32
    with pytest.raises(ValueError, match=r"`sample_id` must lie in \[0, 10\)"):
        contract.check_arrays(batch(sample_id=np.array([0, 1, 2, 10])))
    with pytest.raises(ValueError, match="lacks \\['class_id'\\]"):
        contract.check_arrays({k: v for k, v in batch().items() if k != "class_id"})
    with pytest.raises(ValueError, match="built for"):
        contract.check_arrays(batch(image=np.zeros((4, 16, 16, 3), "uint8")))


def test_step_counting(contract):
    assert contract.count_steps(batch(10), batch_size=4) == 3
    # Keras trains on the first ceil(N * (1 - split)) samples.
    assert contract.count_steps(batch(10), batch_size=4, validation_split=0.25) == 2
    assert contract.keys == ("image", "class_id", "sample_id")


class Batches(keras.utils.PyDataset):
    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        return self.batches[index]


def test_pydataset_batches_are_checked_as_they_are_read(contract):
    with pytest.raises(ValueError, match="Batch 0 lacks"):
        contract.checked(Batches([{"image": np.zeros((2, 8, 8, 3), "uint8")}]))
    checked = contract.checked(Batches([batch(), batch(class_id=np.array([0, 1, 2, 3]))]))
    assert isinstance(checked, CheckedPyDataset) and len(checked) == 2
    checked[0]
    with pytest.raises(ValueError, match="`class_id` must lie in"):
        checked[1]


def test_tf_data_ids_and_pixels_are_checked_per_batch(contract):
    import tensorflow as tf

    good = tf.data.Dataset.from_tensor_slices(batch(8)).batch(4)
    assert len(list(contract.checked(good))) == 2
    bad_ids = tf.data.Dataset.from_tensor_slices(batch(8, class_id=np.arange(8))).batch(4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`class_id` must lie in"):
        list(contract.checked(bad_ids))
    bright = batch(4, image=np.full((4, 8, 8, 3), 200.0, "float32"))
    bad_pixels = tf.data.Dataset.from_tensor_slices(bright).batch(4)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"images must lie in \[0, 1\]"):
        list(contract.checked(bad_pixels))
    with pytest.raises(TypeError, match="dict of arrays"):
        contract.checked(np.zeros((4, 8, 8, 3)))


def test_fit_checks_every_kind_of_input(tiny_data):
    import tensorflow as tf

    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    inputs = tiny_data.inputs()
    bad = dict(inputs, sample_id=inputs["sample_id"] + 100)
    # `steps_per_epoch` used to skip the checks.
    with pytest.raises(ValueError, match="`sample_id` must lie in"):
        trainer.fit(bad, batch_size=4, steps_per_epoch=2, verbose=0)
    with pytest.raises(ValueError, match="`sample_id` must lie in"):
        trainer.fit(Batches([{k: v[:4] for k, v in bad.items()}]), verbose=0)
    dataset = tf.data.Dataset.from_tensor_slices(bad).batch(8)
    # TensorFlow's InvalidArgumentError, raised as the ValueError the docstring promises.
    with pytest.raises(ValueError, match="batch of the input breaks the contract: `sample_id`"):
        trainer.fit(dataset, verbose=0)
    bright = dict(inputs, image=inputs["image"].astype("float32"))
    with pytest.raises(ValueError, match=r"contract: images must lie in \[0, 1\]"):
        trainer.evaluate(tf.data.Dataset.from_tensor_slices(bright).batch(8), verbose=0)
    with pytest.raises(ValueError, match="Validation data lacks"):
        trainer.fit(inputs, validation_data={"image": inputs["image"]}, verbose=0)
    with pytest.raises(ValueError, match="`class_id` must lie in"):
        trainer.evaluate(dict(inputs, class_id=inputs["class_id"] + 9), verbose=0)
