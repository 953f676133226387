"""Views of a `LordTrainer`'s parts: its networks, tables, sizes and settings."""

import warnings

import keras

from keras_lord.trainers.compile_settings import CompileSettings


class TrainerParts:
    """Read-only views of the parts of `LordTrainer`, mixed into it.

    The networks belong to `trainer.model` and the tables to `trainer.tables`; these
    name them on the trainer itself.
    """

    @property
    def generator(self):
        """The `LordGenerator` (`trainer.model.generator`)."""
        return self.model.generator

    @property
    def class_encoder(self):
        """The stage-2 class encoder (`trainer.model.class_encoder`)."""
        return self.model.class_encoder

    @property
    def content_encoder(self):
        """The stage-2 content encoder (`trainer.model.content_encoder`)."""
        return self.model.content_encoder

    # The saved files of keras-lord 0.1 hold the tables under these names. Keras files
    # name each layer after the first attribute (in name order) that reaches it, so these
    # two keep that layout: files and checkpoints of 0.1 load as they are.
    @property
    def class_embedding(self):
        """The class table's layer (`trainer.tables.tables["class"]`)."""
        return self.tables.tables["class"]

    @property
    def content_embedding(self):
        """The content table's layer (`trainer.tables.tables["content"]`)."""
        return self.tables.tables["content"]

    @property
    def attributes(self) -> dict:
        """`{name: number of values}` of the attribute tables (empty without attributes)."""
        return self.tables.attributes

    @property
    def image_shape(self) -> tuple:
        """`(height, width, channels)` of the images."""
        return self.model.image_shape

    @property
    def class_dim(self) -> int:
        """Size of a class code."""
        return self.model.class_dim

    @property
    def content_dim(self) -> int:
        """Size of a content code."""
        return self.model.content_dim

    @property
    def stage1_codes(self) -> str:
        """The name of the stage-1 code source (`code_source.name`)."""
        return self.code_source.name

    @property
    def content_regularization(self) -> str:
        """The name of the content regulariser (`regularizer.name`)."""
        return self.regularizer.name

    @property
    def settings(self) -> CompileSettings:
        """The compile settings in force (`compile_settings`, or the defaults before)."""
        return self.compile_settings or CompileSettings()

    def learning_rates(self) -> dict:
        """Current learning rates of the sub-optimisers, by optimiser name.

        Returns:
            `{"network_adam": float, "latent_adam": float}` (with `optimizer="auto"`).

        """
        return {
            optimizer.name: float(keras.ops.convert_to_numpy(optimizer.learning_rate))
            for optimizer in self.optimizer.optimizers
        }

    def check_inputs(self, inputs: dict) -> dict:
        """Validates a training input dict against this trainer (`trainer.contract`).

        Args:
            inputs: `{"image", "class_id", "sample_id"}` arrays.

        Returns:
            The validated dict.

        Raises:
            ValueError: for missing keys, mismatched lengths, a wrong image shape, pixels
                outside the valid range or ids outside the tables.

        """
        return self.contract.check_arrays(inputs)

    @property
    def lord_compile_config(self) -> dict | None:
        """Deprecated: `compile_settings` (a `CompileSettings`), or `get_compile_config()`."""
        warnings.warn(
            "`LordTrainer.lord_compile_config` is deprecated: use `trainer.compile_settings`.",
            DeprecationWarning,
            stacklevel=2,
        )
        return None if self.compile_settings is None else self.get_compile_config()
