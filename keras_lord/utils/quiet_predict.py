"""`Model.predict` without TensorFlow's false alarm of retracing."""

import logging

import keras
import numpy as np

from keras_lord import backend
from keras_lord.data.batch_split import current_batch_split

# TensorFlow counts traces per function code, not per function, and every Keras model's
# predict step runs the same code: the first predict of each of five models reads "5 out
# of the last 5 calls ... triggered tf.function retracing" though none of them retraced
# (tensorflow/tensorflow#42441). keras-lord predicts with several models in turn, and TF
# gives the alarm up to twice a process, so every evaluation printed it.
_FALSE_ALARM = ("make_predict_function", "triggered tf.function retracing")


class _FalseRetracingAlarm(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not all(part in message for part in _FALSE_ALARM)


def predict_quietly(model: keras.Model, inputs, batch_size: int | None = None) -> np.ndarray:
    """`model.predict(inputs, batch_size=batch_size, verbose=0)`, without the false alarm.

    Under a `keras.distribution` that splits batches over the devices of one process,
    every batch must divide over them: the batch size is rounded up to a multiple of the
    device count, the inputs are padded with copies of their last row to one, and the
    outputs of the padding are cut off. Under one of several processes (JAX), whose
    `predict` could not gather the outputs of the others' devices, every process predicts
    all of `inputs` on its own (`keras_lord.backend.held_on_this_process`): all of them
    must call it, with the same inputs.

    Args:
        model: the model.
        inputs: what `model.predict` takes.
        batch_size: examples per batch (Keras's default when `None`).

    Returns:
        The model's outputs, as `model.predict` returns them.

    Example:
    ```python
    codes = predict_quietly(encoder, images, batch_size=256)
    ```

    """
    if current_batch_split().process_slices > 1:
        # Keras keeps the predict function it compiled for the distribution's layout.
        model.predict_function = None
        try:
            with backend.held_on_this_process(model.variables):
                return predict_quietly(model, inputs, batch_size)
        finally:
            model.predict_function = None
    devices = current_batch_split().devices
    count = None
    if devices > 1:
        count = len(keras.tree.flatten(inputs)[0])
        inputs = keras.tree.map_structure(lambda array: _padded(array, devices), inputs)
        batch_size = -(-(batch_size or 32) // devices) * devices
    logger = logging.getLogger("tensorflow")
    alarm = _FalseRetracingAlarm()
    logger.addFilter(alarm)
    try:
        outputs = model.predict(inputs, batch_size=batch_size, verbose=0)
    finally:
        logger.removeFilter(alarm)
    if count is None:
        return outputs
    return keras.tree.map_structure(lambda array: array[:count], outputs)


def _padded(array, multiple: int) -> np.ndarray:
    # The rows, and copies of the last up to a multiple of `multiple`.
    array = np.asarray(array)
    missing = -len(array) % multiple
    return np.concatenate([array, np.repeat(array[-1:], missing, axis=0)]) if missing else array
