import keras
from keras import ops

from keras_lord import backend
from keras_lord.data.contract import IMAGE_KEY
from keras_lord.data.pixels import unit_float_tensor
from keras_lord.losses.adversarial import (
    discriminator_adversarial_loss,
    generator_adversarial_loss,
    r1_penalty,
)
from keras_lord.trainers.amortization import Amortization

CRITIC_TRACKERS = ("discriminator", "r1")


class AdversarialSynthesis(Amortization):
    """Stage 3, optional: stage 2's training with a discriminator, for sharper images.

    LORD's perceptual loss alone blurs what the codes leave uncertain (the paper says so);
    its authors' follow-up (OverLORD, Gabbay & Hoshen, ICCV 2021) trains the generator and
    encoders against a discriminator as well. Here the encoders and the generator keep
    stage 2's loss (perceptual reconstruction from the encoders' codes plus the weighted
    regression of the codes to the frozen stage-1 tables, with every stage-2 option of
    `compile`) and add `adversarial_weight` times the non-saturating generator loss on the
    reconstructions, tracked as `adversarial`. The trainer's `discriminator` (a
    `keras_lord.models.LordDiscriminator`, sized by the preset) learns in the same step,
    on the images before the step's update, with the non-saturating loss, tracked as
    `discriminator`, and every `r1_interval` steps the R1 penalty on the training images,
    weighted by `r1_weight / 2 * r1_interval` (lazy regularisation, as StyleGAN2), tracked
    as `r1` (the mean over the steps that computed it).

    Start it with `trainer.start_synthesis()` after stage 2's `fit`; `keras-lord train
    --synthesis-epochs N`. Its weights (`CompileSettings`): `adversarial_weight`
    (default 0.1, against a reconstruction loss of about 3 on `small` runs), `r1_weight`
    (1), `r1_interval` (16); the networks' and the discriminator's Adam start at `1e-4`.
    """

    stage = 3
    trains_tables = False
    # A fine-tuning of stage 2's networks, at the authors' stage-2 rate.
    default_learning_rate = 1e-4

    def __init__(self):
        super().__init__()
        for name in ("adversarial", *CRITIC_TRACKERS):
            self.trackers[name] = keras.metrics.Mean(name=name)

    def configure(self, trainer) -> None:
        if trainer.discriminator is None:
            raise RuntimeError(
                "The adversarial synthesis stage needs the trainer's discriminator: start it "
                "with `trainer.start_synthesis()`."
            )
        super().configure(trainer)
        trainer.discriminator.trainable = True

    def loss(self, trainer, x, y_pred):
        loss = super().loss(trainer, x, y_pred)
        logits = trainer.discriminator(y_pred["image"], training=True)
        adversarial = generator_adversarial_loss(logits)
        self.track(adversarial=adversarial)
        return loss + trainer.settings.adversarial_weight * adversarial

    def train_step(self, trainer, *arguments):
        return backend.adversarial_train_step(trainer, *arguments)

    def critic_images(self, x, y_pred) -> tuple:
        """`(real, fake)`: a batch's images and their reconstructions, both in `[0, 1]`.

        The reconstructions are cut from the graph: the critic's loss trains it alone.
        """
        return unit_float_tensor(x[IMAGE_KEY]), ops.stop_gradient(y_pred["image"])

    def r1_due(self, trainer, iterations):
        """Whether the step at `iterations` (the optimiser's count) adds the R1 penalty."""
        return ops.equal(ops.mod(iterations, trainer.settings.r1_interval), 0)

    def critic_loss(self, trainer, real_images, fake_images, with_r1: bool) -> tuple:
        """The discriminator's loss on a batch, and its terms to track.

        Args:
            trainer: the `LordTrainer`.
            real_images: training images in `[0, 1]`.
            fake_images: the generator's reconstructions of them (no gradient).
            with_r1: whether to add the lazy R1 penalty.

        Returns:
            `(loss, {"discriminator": ..., "r1": ...})`; `r1` is 0 without it.

        """
        critic = trainer.discriminator
        settings = trainer.settings
        adversarial = discriminator_adversarial_loss(
            critic(real_images, training=True), critic(fake_images, training=True)
        )
        if not with_r1:
            return adversarial, {"discriminator": adversarial, "r1": ops.zeros((), "float32")}
        penalty = r1_penalty(lambda images: critic(images, training=True), real_images)
        weight = 0.5 * settings.r1_weight * settings.r1_interval
        return adversarial + weight * penalty, {"discriminator": adversarial, "r1": penalty}

    def track_critic(self, terms: dict, with_r1) -> None:
        """Adds a step's discriminator terms to the trackers; `r1` only where computed."""
        self.trackers["discriminator"].update_state(terms["discriminator"])
        self.trackers["r1"].update_state(terms["r1"], sample_weight=ops.cast(with_r1, "float32"))
