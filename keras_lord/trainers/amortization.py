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
        return (
            reconstruction
            + weights["class_code_weight"] * class_error
            + weights["content_code_weight"] * content_error
        )

    def sample_codes(self, trainer, inputs):
        return (
            trainer.model.encode_class(inputs[IMAGE_KEY]),
            trainer.model.encode_content(inputs[IMAGE_KEY]),
        )
