from keras import ops

from keras_lord import backend
from keras_lord.data.contract import CLASS_ID_KEY, IMAGE_KEY, SAMPLE_ID_KEY
from keras_lord.data.pixels import unit_float_tensor
from keras_lord.trainers.losses import latent_optimization_loss
from keras_lord.trainers.stage_objective import StageObjective
from keras_lord.utils.quiet_predict import predict_quietly


class LatentOptimization(StageObjective):
    """Stage 1: the tables and the generator learn together to reconstruct every image.

    Trains the class and content tables (row-wise by default, see `LordTrainer.compile`)
    and the generator; the encoders are frozen. The codes of a batch are looked up in the
    tables (with the content noise); the loss is the perceptual reconstruction plus the
    content codes' L2 penalty, tracked as `reconstruction` and `content_penalty`.

    The paper's Table 3 ablations (`LordTrainer(stage1_codes=...)`) take codes from the
    encoders instead: `"semi_amortized"` the content code from the content encoder (with
    the content table's noise and penalty applied to it), `"amortized"` the class code too,
    from the class encoder, averaged over the images of each class in the batch (the
    class code is then shared within a class, as a table row is).
    """

    stage = 1
    trains_tables = True
    default_learning_rate = 3e-4

    def __init__(self):
        super().__init__(("reconstruction", "content_penalty"))

    def configure(self, trainer) -> None:
        codes = trainer.stage1_codes
        trainer.model.generator.trainable = True
        trainer.model.class_encoder.trainable = codes == "amortized"
        trainer.model.content_encoder.trainable = codes != "tables"
        trainer.tables.set_trainable(trainer.table_updates == "dense")
        if codes != "tables":
            trainer.content_embedding.trainable = False
        if codes == "amortized":
            trainer.tables.set_trainable(False)
            trainer.model.encoders_trained = True

    def forward(self, trainer, inputs, training):
        if trainer.stage1_codes == "tables":
            return trainer.model(trainer.tables(inputs, training=training), training=training)
        images = unit_float_tensor(inputs[IMAGE_KEY])
        model = trainer.model
        # The content table's layer adds its noise and penalty to the encoder's codes.
        content_codes = trainer.content_embedding(
            inputs[SAMPLE_ID_KEY],
            training=training,
            codes=model.content_encoder(images, training=training),
        )
        if trainer.stage1_codes == "amortized":
            class_codes = class_means(
                model.class_encoder(images, training=training),
                inputs[CLASS_ID_KEY],
                trainer.num_classes,
            )
        else:
            class_codes = trainer.tables.class_code(inputs, training=training)
        generated = model.generator(
            {"content_code": content_codes, "class_code": class_codes}, training=training
        )
        return {"image": generated, "class_code": class_codes, "content_code": content_codes}

    def loss(self, trainer, x, y_pred):
        reconstruction, penalty = latent_optimization_loss(
            trainer.perceptual_loss, x, y_pred["image"], trainer.losses
        )
        self.track(reconstruction=reconstruction, content_penalty=penalty)
        return reconstruction + penalty

    def train_step(self, trainer, *arguments):
        if trainer.table_updates == "rowwise" and trainer.stage1_codes == "tables":
            return backend.row_gradient_train_step(trainer, *arguments)
        return super().train_step(trainer, *arguments)

    def sample_codes(self, trainer, inputs):
        codes = trainer.stage1_codes
        if codes == "amortized":
            return (
                trainer.model.encode_class(inputs[IMAGE_KEY]),
                trainer.model.encode_content(inputs[IMAGE_KEY]),
            )
        content_codes = (
            trainer.tables.rows("content", inputs[trainer.tables.id_keys["content"]])
            if codes == "tables"
            else predict_quietly(
                trainer.model.content_encoder, trainer.model.check_images(inputs[IMAGE_KEY])
            )
        )
        return trainer.tables.class_codes(inputs), content_codes


def class_means(class_codes, class_ids, num_classes: int):
    """Each code replaced by the mean code of its class within the batch.

    Args:
        class_codes: `(batch, class_dim)` codes.
        class_ids: `(batch,)` integer classes.
        num_classes: the number of classes.

    Returns:
        `(batch, class_dim)` codes, equal within a class.

    """
    class_ids = ops.cast(class_ids, "int32")
    sums = ops.segment_sum(class_codes, class_ids, num_segments=num_classes)
    counts = ops.segment_sum(ops.ones_like(class_codes[:, :1]), class_ids, num_segments=num_classes)
    return ops.take(sums / ops.maximum(counts, 1.0), class_ids, axis=0)
