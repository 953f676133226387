import math

import keras


class NonFiniteLossError(FloatingPointError):
    """Training stopped on a NaN or infinite loss; the last checkpoint is the last good state."""


class FiniteLossGuard(keras.callbacks.Callback):
    """Stops training with a clear error as soon as a batch's loss is not finite.

    Unlike `keras.callbacks.TerminateOnNaN`, which ends `fit` quietly (so what follows
    would save a broken model as finished), this raises: the epoch in progress never ends,
    so no checkpoint of the broken state is written, and the caller hears of it.

    Raises:
        NonFiniteLossError: at the end of the first batch whose loss is NaN or infinite.

    Example:
    ```python
    trainer.fit(data.inputs(), epochs=100, callbacks=[FiniteLossGuard(), checkpoint])
    ```

    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise NonFiniteLossError(
                f"The training loss became {float(loss)} at batch {batch} of this epoch. The "
                "last checkpoint holds the last good state; lower the learning rates "
                "(`latent_learning_rate`, `learning_rate`) or check the data for NaNs."
            )
