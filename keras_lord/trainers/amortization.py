import keras
from keras import ops

from keras_lord.data.augmentation import random_shift
from keras_lord.data.contract import CLASS_ID_KEY, IMAGE_KEY
from keras_lord.data.pixels import unit_float_tensor
from keras_lord.losses.reconstruction import latent_optimization_loss
from keras_lord.trainers.code_sources.amortized import class_means
from keras_lord.trainers.stage_objective import StageObjective


class Amortization(StageObjective):
    """Stage 2: the encoders learn to predict the stage-1 codes; the generator is tuned.

    The tables are frozen and serve as targets; the class and content encoders and the
    generator train. The codes of a batch come from the encoders; the loss is the
    perceptual reconstruction from them plus the weighted mean squared errors of the
    predicted codes to the noise-free stage-1 codes (`compile`'s `class_code_weight` and
    `content_code_weight`), tracked as `reconstruction`, `class_code_mse` and
    `content_code_mse`.

    With `compile(mixed_code_weight=w)` (`w > 0`), the encoders also learn from images the
    generator renders from mixed codes: each batch's class codes paired with the content
    codes of other images of the batch (rolled by one). Their true codes are known, so the
    encoders see (class, content) combinations the data does not hold; the added term is
    `w` times the two encoders' mean squared errors on them, tracked as `mixed_code_mse`.
    The mixed images are rendered without gradient: the term trains the encoders only.

    Two regularisers of the encoders, off by default (`compile`):

    - `encoder_shift=s`: in training, the encoders see each image shifted by up to `s`
      pixels each way (`keras_lord.data.augmentation.random_shift`), while the generator
      must still reconstruct the unshifted image and the encoders still predict its codes.
    - `content_code_noise=std`: in training, Gaussian noise of that std is added to the
      content encoder's codes before the generator, as stage 1 adds it to the content
      table's; the code-regression term compares the noise-free codes.

    Two options against pose in the class codes, off by default (`compile`):

    - `class_code_sharing=s`: in training, the generator gets each image's class code
      moved a share `s` of the way to the mean of the class codes of its class's images in
      the batch (as the amortised ablation shares them), while each image's own code is
      still regressed to the table's.
    - `class_content_decorrelation=w`: `w` times the mean squared correlation, over the
      batch, between the class encoder's codes and the images' stage-1 content codes,
      tracked as `class_content_correlation`.

    `generator_rate_factor` (`compile`) slows the generator's tuning or, at `0`, freezes
    it (see `CompileSettings`).

    Their random draws come from the content table's noise stream (its
    `SeedGenerator`, idle in stage 2), whose state is saved with the table: a run resumed
    from a checkpoint draws what an uninterrupted one would.
    """

    stage = 2
    trains_tables = False
    # 1e-4 in the authors' code; 3e-4 fits the codes better in a short stage 2
    # (docs/quality.md: better on training and held-out classes in every seed measured).
    default_learning_rate = 3e-4

    def __init__(self):
        super().__init__(("reconstruction", "class_code_mse", "content_code_mse"))

    def configure(self, trainer) -> None:
        if not trainer.code_source.has_second_stage:
            raise RuntimeError(
                f"The model of `stage1_codes={trainer.code_source.name!r}` trains its "
                "encoders in stage 1 and has no stage 2: use `encode_class`, "
                "`encode_content` and `translate` now."
            )
        check_code_source(trainer.settings.class_content_decorrelation, trainer.code_source)
        trainer.model.generator.trainable = trainer.settings.generator_rate_factor > 0
        trainer.model.class_encoder.trainable = True
        trainer.model.content_encoder.trainable = True
        trainer.tables.set_trainable(False)
        trainer.model.encoders_trained = True
        for name, setting in (
            ("mixed_code_mse", "mixed_code_weight"),
            ("class_content_correlation", "class_content_decorrelation"),
        ):
            if getattr(trainer.settings, setting) and name not in self.trackers:
                self.trackers[name] = keras.metrics.Mean(name=name)

    def encoders_hold_codes(self, trainer) -> bool:
        return True

    def forward(self, trainer, inputs, training):
        settings = trainer.settings
        shift, noise_std = settings.encoder_shift, settings.content_code_noise
        sharing = settings.class_code_sharing
        if not training or not (shift or noise_std or sharing):
            return trainer.model({IMAGE_KEY: inputs[IMAGE_KEY]}, training=training)
        model = trainer.model
        seed = trainer.content_embedding.seed_generator
        encoder_images = random_shift(unit_float_tensor(inputs[IMAGE_KEY]), shift, seed)
        class_codes = model.class_encoder(encoder_images, training=True)
        generator_class_codes = class_codes
        if sharing:
            means = class_means(class_codes, inputs[CLASS_ID_KEY], trainer.num_classes)
            generator_class_codes = class_codes + sharing * (means - class_codes)
        content_codes = model.content_encoder(encoder_images, training=True)
        noisy_content_codes = content_codes
        if noise_std:
            noisy_content_codes = content_codes + keras.random.normal(
                ops.shape(content_codes), stddev=noise_std, dtype=content_codes.dtype, seed=seed
            )
        images = model.generator(
            {"content_code": noisy_content_codes, "class_code": generator_class_codes},
            training=True,
        )
        return {"image": images, "class_code": class_codes, "content_code": content_codes}

    def loss(self, trainer, x, y_pred):
        reconstruction, _ = latent_optimization_loss(
            trainer.perceptual_loss, x, y_pred["image"], []
        )
        targets = trainer.tables.codes(x)
        class_error = ops.mean(ops.square(y_pred["class_code"] - targets["class_code"]))
        content_error = ops.mean(ops.square(y_pred["content_code"] - targets["content_code"]))
        self.track(
            reconstruction=reconstruction,
            class_code_mse=class_error,
            content_code_mse=content_error,
        )
        settings = trainer.settings
        loss = reconstruction + settings.class_code_weight * class_error
        if trainer.code_source.content_from_table:
            # Content codes of an encoder (semi-amortised) have no table rows to regress to.
            loss = loss + settings.content_code_weight * content_error
        mixed_code_weight = settings.mixed_code_weight
        if mixed_code_weight:
            mixed_error = self._mixed_code_error(trainer, targets)
            self.track(mixed_code_mse=mixed_error)
            loss = loss + mixed_code_weight * mixed_error
        decorrelation = settings.class_content_decorrelation
        if decorrelation:
            correlation = _mean_squared_correlation(y_pred["class_code"], targets["content_code"])
            self.track(class_content_correlation=correlation)
            loss = loss + decorrelation * correlation
        return loss

    @staticmethod
    def _mixed_code_error(trainer, targets):
        class_codes = ops.roll(targets["class_code"], 1, axis=0)
        content_codes = targets["content_code"]
        model = trainer.model
        mixed = ops.stop_gradient(
            model.generator(
                {"content_code": content_codes, "class_code": class_codes}, training=False
            )
        )
        class_error = ops.mean(ops.square(model.class_encoder(mixed, training=True) - class_codes))
        content_error = ops.mean(
            ops.square(model.content_encoder(mixed, training=True) - content_codes)
        )
        return class_error + content_error

    def sample_codes(self, trainer, inputs):
        return (
            trainer.model.encode_class(inputs[IMAGE_KEY]),
            trainer.model.encode_content(inputs[IMAGE_KEY]),
        )


def check_code_source(class_content_decorrelation: float, code_source) -> None:
    """Refuses the class/content correlation penalty where stage 1 has no content table.

    Args:
        class_content_decorrelation: the penalty's weight (`compile`).
        code_source: the trainer's `CodeSource`.

    Raises:
        ValueError: for a weight above 0 with a source whose content codes come from an
            encoder (`"semi_amortized"`).

    """
    if class_content_decorrelation and not code_source.content_from_table:
        raise ValueError(
            "`class_content_decorrelation` compares the class codes with the stage-1 "
            f"content table, which `stage1_codes={code_source.name!r}` does not have: "
            "leave it at 0."
        )


def _mean_squared_correlation(codes, other_codes):
    # Pearson correlations of every dimension of `codes` with every one of `other_codes`
    # over the batch; the targets carry no gradient, so only `codes` move.
    codes = ops.cast(codes, "float32")
    other_codes = ops.stop_gradient(ops.cast(other_codes, "float32"))

    def standardised(values):
        centred = values - ops.mean(values, axis=0, keepdims=True)
        return centred / ops.sqrt(ops.mean(ops.square(centred), axis=0, keepdims=True) + 1e-6)

    batch = ops.cast(ops.shape(codes)[0], codes.dtype)
    correlations = ops.matmul(ops.transpose(standardised(codes)), standardised(other_codes))
    return ops.mean(ops.square(correlations / batch))
