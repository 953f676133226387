"""What a LORD training stage is: its trainable parts, forward pass, loss and trackers."""

import keras


class StageObjective:
    """One stage of LORD training, as `LordTrainer` runs it.

    The trainer holds one objective at a time and asks it, without knowing which stage it
    is, what to train (`configure`), how to compute the outputs of a batch (`forward`), the
    loss (`loss`, updating the objective's `trackers`), the training step (`train_step`),
    and where the codes of training samples come from (`sample_codes`).

    Args:
        tracker_names: names of the loss terms this stage tracks (its `metrics`).

    """

    stage: int = 0
    trains_tables: bool = False
    default_learning_rate: float = 0.0

    def __init__(self, tracker_names: tuple):
        self.trackers = {name: keras.metrics.Mean(name=name) for name in tracker_names}

    def configure(self, trainer) -> None:
        """Sets which parts of the trainer are trainable in this stage."""
        raise NotImplementedError

    def encoders_hold_codes(self, trainer) -> bool:
        """Whether the encoders give the codes of images in this stage."""
        return False

    def forward(self, trainer, inputs, training: bool) -> dict:
        """Outputs of a batch: `{"image", "class_code", "content_code"}`."""
        raise NotImplementedError

    def loss(self, trainer, x: dict, y_pred: dict):
        """The scalar loss of a batch; updates `trackers`."""
        raise NotImplementedError

    def train_step(self, trainer, *arguments):
        """The body of `train_step`; Keras' own unless the stage needs another."""
        return keras.Model.train_step(trainer, *arguments)

    def sample_codes(self, trainer, inputs: dict) -> tuple:
        """`(class_codes, content_codes)` of training samples, as numpy arrays."""
        raise NotImplementedError

    def track(self, **values) -> None:
        """Adds this batch's loss terms to the trackers."""
        for name, value in values.items():
            self.trackers[name].update_state(value)
