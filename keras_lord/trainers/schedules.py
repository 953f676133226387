import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_lord")
class FitLengthCosineDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Cosine decay whose length is set by `LordTrainer.fit` from its epochs and steps.

    LORD decays every learning rate along a cosine over the whole training run, whose
    length in steps is only known when `fit` sees the data. Before that the rate is
    `initial_learning_rate`; once `decay_steps` is set it decays to `final_learning_rate`.

    Args:
        initial_learning_rate: rate at step 0.
        final_learning_rate: rate at `decay_steps` and after.
        decay_steps: length of the decay, or `None` to let `fit` set it.

    Example:
    ```python
    schedule = keras_lord.trainers.FitLengthCosineDecay(3e-4, 1e-5, decay_steps=1000)
    ```

    """

    def __init__(
        self,
        initial_learning_rate: float,
        final_learning_rate: float,
        decay_steps: int | None = None,
    ):
        self.initial_learning_rate = float(initial_learning_rate)
        self.final_learning_rate = float(final_learning_rate)
        self.decay_steps = decay_steps

    def __call__(self, step):
        if not self.decay_steps:
            return ops.convert_to_tensor(self.initial_learning_rate, "float32")
        progress = ops.minimum(ops.cast(step, "float32") / float(self.decay_steps), 1.0)
        cosine = 0.5 * (1.0 + ops.cos(math.pi * progress))
        span = self.initial_learning_rate - self.final_learning_rate
        return self.final_learning_rate + span * cosine

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "final_learning_rate": self.final_learning_rate,
            "decay_steps": self.decay_steps,
        }
