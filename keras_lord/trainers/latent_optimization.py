from keras_lord import backend
from keras_lord.data.contract import IMAGE_KEY
from keras_lord.trainers.losses import latent_optimization_loss
from keras_lord.trainers.stage_objective import StageObjective


class LatentOptimization(StageObjective):
    """Stage 1: the tables and the generator learn together to reconstruct every image.

    Trains the class and content tables (row-wise by default, see `LordTrainer.compile`)
    and the generator; the encoders are frozen. The codes of a batch are looked up in the
    tables (with the content noise); the loss is the perceptual reconstruction plus the
    content codes' L2 penalty, tracked as `reconstruction` and `content_penalty`.
    """

    stage = 1
    trains_tables = True
    default_learning_rate = 3e-4

    def __init__(self):
        super().__init__(("reconstruction", "content_penalty"))

    def configure(self, trainer) -> None:
        trainer.model.generator.trainable = True
        trainer.model.class_encoder.trainable = False
        trainer.model.content_encoder.trainable = False
        trainer.tables.set_trainable(trainer.table_updates == "dense")

    def forward(self, trainer, inputs, training):
        return trainer.model(trainer.tables(inputs, training=training), training=training)

    def loss(self, trainer, x, y_pred):
        reconstruction, penalty = latent_optimization_loss(
            trainer.perceptual_loss, x[IMAGE_KEY], y_pred["image"], trainer.losses
        )
        self.track(reconstruction=reconstruction, content_penalty=penalty)
        return reconstruction + penalty

    def train_step(self, trainer, *arguments):
        if trainer.table_updates == "rowwise":
            return backend.row_gradient_train_step(trainer, *arguments)
        return super().train_step(trainer, *arguments)

    def sample_codes(self, trainer, inputs):
        return (
            trainer.tables.class_codes(inputs),
            trainer.tables.rows("content", inputs[trainer.tables.id_keys["content"]]),
        )
