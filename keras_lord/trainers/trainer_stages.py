"""Moving a `LordTrainer` from one stage to the next."""

from keras_lord.models.lord_discriminator import LordDiscriminator
from keras_lord.trainers.adversarial_synthesis import AdversarialSynthesis
from keras_lord.trainers.amortization import Amortization
from keras_lord.trainers.precision import PRECISIONS


class TrainerStages:
    """The stage changes of `LordTrainer`, mixed into it."""

    def start_stage2(self, **compile_arguments) -> None:
        """Switches to stage 2 (amortisation) and compiles it.

        Freezes the class and content tables, which become the targets of the encoders,
        unfreezes the encoders, and compiles with stage-2 defaults (one Adam at `3e-4`,
        cosine to `1e-5`, code-regression weights `10`). Then call `fit` on the same
        training input as stage 1.

        Args:
            **compile_arguments: overrides of `compile`'s arguments.

        Raises:
            RuntimeError: after stage 1, or for a code source without stage 2
                (`"amortized"`).

        """
        if self.stage != 1:
            raise RuntimeError(f"The trainer is already in stage {self.stage}.")
        self._switch_to(Amortization(), compile_arguments)

    def start_synthesis(
        self, discriminator: LordDiscriminator | None = None, **compile_arguments
    ) -> None:
        """Switches to the optional adversarial synthesis stage (stage 3) and compiles it.

        Stage 2's training goes on with a discriminator (`AdversarialSynthesis`): the
        encoders and the generator also learn to make reconstructions the discriminator
        takes for real. Then call `fit` on the same training input as stage 2.

        Args:
            discriminator: the critic to train; defaults to a new
                `LordDiscriminator.from_preset(trainer.preset, ...)` in the networks'
                precision, seeded by the trainer's seed.
            **compile_arguments: overrides of `compile`'s arguments (e.g.
                `adversarial_weight`, `r1_weight`; the networks' Adam starts at `1e-4`).

        Raises:
            RuntimeError: before stage 2, or in the synthesis stage already.
            ValueError: for a discriminator of other images than the generator's.

        Example:
        ```python
        trainer.start_stage2()
        trainer.fit(data.inputs(), batch_size=64, epochs=100)
        trainer.start_synthesis(adversarial_weight=0.1)
        trainer.fit(data.inputs(), batch_size=64, epochs=20)
        ```

        """
        if self.stage != 2:
            reason = "already in it" if self.stage == 3 else "call `start_stage2()` and `fit`"
            raise RuntimeError(
                f"The adversarial synthesis stage follows stage 2 ({reason}); the trainer "
                f"is in stage {self.stage}."
            )
        if discriminator is None:
            discriminator = self.default_discriminator()
        if tuple(discriminator.image_shape) != tuple(self.image_shape):
            raise ValueError(
                f"The discriminator takes images of shape {tuple(discriminator.image_shape)}; "
                f"the generator makes {tuple(self.image_shape)}."
            )
        self.discriminator = discriminator
        self._switch_to(AdversarialSynthesis(), compile_arguments)

    def default_discriminator(self) -> LordDiscriminator:
        """A new discriminator for this trainer: its preset's width, images and precision."""
        return LordDiscriminator.from_preset(
            self.preset,
            self.image_shape,
            seed=self.seed,
            dtype=PRECISIONS[self.precision],
            name="discriminator",
        )

    def _switch_to(self, objective, compile_arguments: dict) -> None:
        # A refused setting leaves the trainer in its stage, as it was.
        before = (self.objective, self.compile_settings, self.table_updates)
        try:
            objective.configure(self)
            self.objective = objective
            self.train_function = None
            self.compile(**compile_arguments)
        except Exception:
            self.objective, self.compile_settings, self.table_updates = before
            self.objective.configure(self)
            raise
