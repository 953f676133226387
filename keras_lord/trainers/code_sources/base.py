"""What a stage-1 code source is: where latent optimisation takes each batch's codes from."""

from keras_lord.data.contract import IMAGE_KEY
from keras_lord.regularizers import CONTENT_REGULARIZERS
from keras_lord.utils.quiet_predict import predict_quietly


class CodeSource:
    """Where stage 1 takes the class and content codes of a batch from, and what that allows.

    LORD looks both codes up in learned tables (`TableCodes`); the paper's Table 3
    ablations predict one or both with the encoders (`SemiAmortizedCodes`,
    `AmortizedCodes`). A source is chosen by name with `LordTrainer(stage1_codes=...)`; the
    registry is `keras_lord.trainers.code_sources.CODE_SOURCES`. The trainer and the other
    stages ask the source what it needs and allows instead of comparing its name.

    Attributes:
        name: the name it is registered under.
        content_from_table: whether the content codes are rows of the content table (so
            that stage 2 has content codes to regress to, and a regulariser that keeps state
            per row applies).
        rowwise_updates: whether its tables can be updated row-wise (`compile`'s
            `table_updates="rowwise"`); where not, they are updated densely.
        has_second_stage: whether stage 2 (amortisation) follows; a source whose encoders
            learn in stage 1 has none.
        allows_attributes: whether attribute tables can add to its class codes.

    """

    name: str = ""
    content_from_table: bool = True
    rowwise_updates: bool = False
    has_second_stage: bool = True
    allows_attributes: bool = True

    def check(self, regularizer, attributes: dict) -> None:
        """Refuses a regulariser or attributes this source cannot use.

        Args:
            regularizer: the trainer's `ContentRegularizer`.
            attributes: `{name: number of values}` of the attribute tables.

        Raises:
            ValueError: naming the conflict and the choices that work.

        """
        if regularizer.needs_table_rows and not self.content_from_table:
            usable = [
                repr(name)
                for name in CONTENT_REGULARIZERS
                if not CONTENT_REGULARIZERS.get(name).needs_table_rows
            ]
            raise ValueError(
                f"`content_regularization={regularizer.name!r}` keeps state per row of the "
                "content table, which this model's content codes do not come from: choose "
                f"{' or '.join(usable)} with `stage1_codes={self.name!r}`."
            )
        if attributes and not self.allows_attributes:
            raise ValueError(
                f"The model of `stage1_codes={self.name!r}` takes its class codes from the "
                "class encoder, so it has no attribute tables: use `stage1_codes='tables'` "
                "or 'semi_amortized' with `attributes`."
            )

    def encoders_hold_codes(self) -> bool:
        """Whether the encoders give the stage-1 codes of images (they learn in stage 1)."""
        return not self.has_second_stage

    def configure(self, trainer) -> None:
        """Sets which parts of the trainer train in stage 1 (the generator always does)."""
        raise NotImplementedError

    def forward(self, trainer, inputs: dict, training: bool) -> dict:
        """Stage 1's outputs of a batch: `{"image", "class_code", "content_code"}`."""
        raise NotImplementedError

    def uses_row_gradients(self, trainer) -> bool:
        """Whether stage 1's step differentiates the batch's table rows only."""
        return self.rowwise_updates and trainer.table_updates == "rowwise"

    def sample_codes(self, trainer, inputs: dict) -> tuple:
        """`(class_codes, content_codes)` of training samples in stage 1, as numpy arrays."""
        raise NotImplementedError

    @staticmethod
    def encoded_content(trainer, inputs: dict):
        """The content encoder's codes of a dict's images, as numpy."""
        return predict_quietly(
            trainer.model.content_encoder, trainer.model.check_images(inputs[IMAGE_KEY])
        )
