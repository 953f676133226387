import keras
from keras import ops

from keras_lord.data.contract import IMAGE_KEY
from keras_lord.trainers.losses import latent_optimization_loss
from keras_lord.trainers.stage_objective import StageObjective


class Amortization(StageObjective):
    """Stage 2: the encoders learn to predict the stage-1 codes; the generator is tuned.

    The tables are frozen and serve as targets; the class and content encoders and the
    generator train. The codes of a batch come from the encoders; the loss is the
    perceptual reconstruction from them plus the weighted mean squared errors of the
    predicted codes to the noise-free stage-1 codes (`compile`'s `class_code_weight` and
    `content_code_weight`), tracked as `reconstruction`, `class_code_mse` and
    `content_code_mse`.

    With `compile(mixed_code_weight=w)` (`w > 0`), the encoders also learn from images the
    generator renders from mixed codes: each batch's class codes paired with the content
    codes of other images of the batch (rolled by one). Their true codes are known, so the
    encoders see (class, content) combinations the data does not hold; the added term is
    `w` times the two encoders' mean squared errors on them, tracked as `mixed_code_mse`.
    The mixed images are rendered without gradient: the term trains the encoders only.
    """

    stage = 2
    trains_tables = False
    default_learning_rate = 1e-4

    def __init__(self):
        super().__init__(("reconstruction", "class_code_mse", "content_code_mse"))

    def configure(self, trainer) -> None:
        trainer.model.generator.trainable = True
        trainer.model.class_encoder.trainable = True
        trainer.model.content_encoder.trainable = True
        trainer.tables.set_trainable(False)
        trainer.model.encoders_trained = True
        if self._mixed_code_weight(trainer) and "mixed_code_mse" not in self.trackers:
            self.trackers["mixed_code_mse"] = keras.metrics.Mean(name="mixed_code_mse")

    def forward(self, trainer, inputs, training):
        return trainer.model({IMAGE_KEY: inputs[IMAGE_KEY]}, training=training)

    def loss(self, trainer, x, y_pred):
        reconstruction, _ = latent_optimization_loss(
            trainer.perceptual_loss, x[IMAGE_KEY], y_pred["image"], []
        )
        targets = trainer.tables.gather(x)
        class_error = ops.mean(ops.square(y_pred["class_code"] - targets["class_code"]))
        content_error = ops.mean(ops.square(y_pred["content_code"] - targets["content_code"]))
        self.track(
            reconstruction=reconstruction,
            class_code_mse=class_error,
            content_code_mse=content_error,
        )
        weights = trainer.lord_compile_config
        loss = (
            reconstruction
            + weights["class_code_weight"] * class_error
            + weights["content_code_weight"] * content_error
        )
        mixed_code_weight = self._mixed_code_weight(trainer)
        if mixed_code_weight:
            mixed_error = self._mixed_code_error(trainer, targets)
            self.track(mixed_code_mse=mixed_error)
            loss = loss + mixed_code_weight * mixed_error
        return loss

    @staticmethod
    def _mixed_code_weight(trainer) -> float:
        # Files saved before the option existed have no such entry.
        return float((trainer.lord_compile_config or {}).get("mixed_code_weight", 0.0))

    @staticmethod
    def _mixed_code_error(trainer, targets):
        class_codes = ops.roll(targets["class_code"], 1, axis=0)
        content_codes = targets["content_code"]
        model = trainer.model
        mixed = ops.stop_gradient(
            model.generator(
                {"content_code": content_codes, "class_code": class_codes}, training=False
            )
        )
        class_error = ops.mean(ops.square(model.class_encoder(mixed, training=True) - class_codes))
        content_error = ops.mean(
            ops.square(model.content_encoder(mixed, training=True) - content_codes)
        )
        return class_error + content_error

    def sample_codes(self, trainer, inputs):
        return (
            trainer.model.encode_class(inputs[IMAGE_KEY]),
            trainer.model.encode_content(inputs[IMAGE_KEY]),
        )
