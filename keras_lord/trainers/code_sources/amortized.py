"""The paper's Table 3 ablation: both codes predicted by the encoders, no tables."""

from keras import ops

from keras_lord.data.contract import CLASS_ID_KEY, IMAGE_KEY
from keras_lord.trainers.code_sources.semi_amortized import SemiAmortizedCodes


class AmortizedCodes(SemiAmortizedCodes):
    """Amortised: the content encoder as semi-amortised, and the class encoder too.

    A batch's class codes are the class encoder's, averaged over the images of each class
    in the batch, so that a class code is shared within a class as a table row is. The
    encoders learn in stage 1, so there is no stage 2 and no attribute tables.
    """

    name = "amortized"
    has_second_stage = False
    allows_attributes = False

    def configure(self, trainer) -> None:
        super().configure(trainer)
        trainer.model.class_encoder.trainable = True
        trainer.tables.set_trainable(False)
        trainer.model.encoders_trained = True

    def class_codes(self, trainer, inputs, images, training):
        return class_means(
            trainer.model.class_encoder(images, training=training),
            inputs[CLASS_ID_KEY],
            trainer.num_classes,
        )

    def sample_codes(self, trainer, inputs):
        return (
            trainer.model.encode_class(inputs[IMAGE_KEY]),
            trainer.model.encode_content(inputs[IMAGE_KEY]),
        )


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
