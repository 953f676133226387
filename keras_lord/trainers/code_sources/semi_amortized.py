"""The paper's Table 3 ablation: class codes from the table, content codes from the encoder."""

from keras_lord.data.contract import IMAGE_KEY, SAMPLE_ID_KEY
from keras_lord.data.pixels import unit_float_tensor
from keras_lord.trainers.code_sources.base import CodeSource


class SemiAmortizedCodes(CodeSource):
    """Semi-amortised: the class table, and the content encoder on the image.

    The content table's layer adds its noise and penalty to the encoder's codes, so the
    regulariser is LORD's; its rows are unused. The class table is updated densely. In
    stage 2 the class encoder learns to predict the class codes; the content encoder,
    which has no table rows to regress to, keeps learning from the reconstruction.
    """

    name = "semi_amortized"
    content_from_table = False

    def configure(self, trainer) -> None:
        trainer.model.class_encoder.trainable = False
        trainer.model.content_encoder.trainable = True
        trainer.tables.set_trainable(trainer.table_updates == "dense")
        trainer.tables.tables["content"].trainable = False

    def forward(self, trainer, inputs, training):
        model = trainer.model
        images = unit_float_tensor(inputs[IMAGE_KEY])
        content_codes = trainer.tables.tables["content"](
            inputs[SAMPLE_ID_KEY],
            training=training,
            codes=model.content_encoder(images, training=training),
        )
        class_codes = self.class_codes(trainer, inputs, images, training)
        images = model.generator(
            {"content_code": content_codes, "class_code": class_codes}, training=training
        )
        return {"image": images, "class_code": class_codes, "content_code": content_codes}

    def class_codes(self, trainer, inputs, images, training):
        """The class codes of a batch: its rows of the class table (and attributes)."""
        return trainer.tables.class_code(inputs, training=training)

    def sample_codes(self, trainer, inputs):
        return trainer.tables.class_codes(inputs), self.encoded_content(trainer, inputs)
