import math

import keras


class NonFiniteLossError(FloatingPointError):
    """Training stopped on a NaN or infinite loss; the last checkpoint is the last good state."""


class FiniteLossGuard(keras.callbacks.Callback):
    """Stops training with a clear error as soon as a batch's loss is not finite.

    Unlike `keras.callbacks.TerminateOnNaN`, which ends `fit` quietly (so what follows
    would save a broken model as finished), this raises: the epoch in progress never ends,
    so no checkpoint of the broken state is written, and the caller hears of it.

    It is `async_safe`: where the backend allows (JAX), Keras runs it on a worker thread,
    so reading the loss does not make every step wait for the device. An error raised
    there reaches `fit` at a later batch or, at the latest, before any callback's
    `on_epoch_end` (Keras waits for the batch callbacks first), so it still comes before
    the epoch's checkpoint.

    Raises:
        NonFiniteLossError: at the end of the first batch whose loss is NaN or infinite.

    Example:
    ```python
    trainer.fit(data.inputs(), epochs=100, callbacks=[FiniteLossGuard(), checkpoint])
    ```

    """

    # Reads only its arguments, so Keras may call it from a worker thread.
    async_safe = True

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise NonFiniteLossError(
                f"The training loss became {float(loss)} at batch {batch} of this epoch. The "
                "last checkpoint holds the last good state; lower the learning rates "
                "(`latent_learning_rate`, `learning_rate`) or check the data for NaNs."
            )
