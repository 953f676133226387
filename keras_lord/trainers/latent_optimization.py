from keras_lord import backend
from keras_lord.losses.reconstruction import latent_optimization_loss
from keras_lord.trainers.stage_objective import StageObjective
from keras_lord.utils.deprecation import moved_names


class LatentOptimization(StageObjective):
    """Stage 1: the codes and the generator learn together to reconstruct every image.

    Where the codes of a batch come from is the trainer's `code_source`: LORD's class and
    content tables (trained row-wise by default, see `LordTrainer.compile`; the encoders
    are frozen), or the encoders of the paper's Table 3 ablations
    (`keras_lord.trainers.code_sources`). The loss is the perceptual reconstruction plus
    the content regulariser's penalty, tracked as `reconstruction` and `content_penalty`.
    """

    stage = 1
    trains_tables = True
    default_learning_rate = 3e-4

    def __init__(self):
        super().__init__(("reconstruction", "content_penalty"))

    def configure(self, trainer) -> None:
        trainer.model.generator.trainable = True
        trainer.code_source.configure(trainer)

    def encoders_hold_codes(self, trainer) -> bool:
        return trainer.code_source.encoders_hold_codes()

    def forward(self, trainer, inputs, training):
        return trainer.code_source.forward(trainer, inputs, training)

    def loss(self, trainer, x, y_pred):
        reconstruction, penalty = latent_optimization_loss(
            trainer.perceptual_loss, x, y_pred["image"], trainer.losses
        )
        self.track(reconstruction=reconstruction, content_penalty=penalty)
        return reconstruction + penalty

    def train_step(self, trainer, *arguments):
        if trainer.code_source.uses_row_gradients(trainer):
            return backend.row_gradient_train_step(trainer, *arguments)
        return super().train_step(trainer, *arguments)

    def sample_codes(self, trainer, inputs):
        return trainer.code_source.sample_codes(trainer, inputs)


__getattr__ = moved_names(
    __name__, {"class_means": ("keras_lord.trainers.code_sources", "class_means")}
)
