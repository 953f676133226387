"""LORD's stage-1 codes: a learned row of the class table and of the content table."""

from keras_lord.trainers.code_sources.base import CodeSource


class TableCodes(CodeSource):
    """LORD: latent optimisation of a class table and a content table.

    A batch's class codes are rows of the class table (plus any attribute rows), its
    content codes rows of the content table with the regulariser's noise and penalty.
    The encoders are frozen: they learn in stage 2.
    """

    name = "tables"
    rowwise_updates = True

    def configure(self, trainer) -> None:
        trainer.model.class_encoder.trainable = False
        trainer.model.content_encoder.trainable = False
        trainer.tables.set_trainable(trainer.table_updates == "dense")

    def forward(self, trainer, inputs, training):
        return trainer.model(trainer.tables(inputs, training=training), training=training)

    def sample_codes(self, trainer, inputs):
        content_ids = inputs[trainer.tables.id_keys["content"]]
        return trainer.tables.class_codes(inputs), trainer.tables.rows("content", content_ids)
