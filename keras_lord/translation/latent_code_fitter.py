import keras
import numpy as np

from keras_lord.data.contract import CLASS_ID_KEY, IMAGE_KEY, SAMPLE_ID_KEY
from keras_lord.data.epoch_batches import EpochBatches
from keras_lord.losses.reconstruction import latent_optimization_loss
from keras_lord.losses.target_features import (
    caches_target_features,
    compute_target_features,
)
from keras_lord.tables.factor_tables import FactorTables


class LatentCodeFitter(keras.Model):
    """Fits class and content codes of new images against a trained generator, kept frozen.

    Used by `LordModel.optimize_codes` (both codes fitted from a seeded start, with the
    stage-1 noise and penalty on the content codes) and `LordModel.refine_class_codes`
    (the class codes fitted from the class encoder's, the content codes fixed at the
    content encoder's). The images' VGG features are computed once for all steps where
    `LordTrainer`'s `target_feature_cache="auto"` would cache them. The batches of each
    epoch follow `keras_lord.data.epoch_batches`, so a seeded fit is reproducible. Its
    tables are built and seeded as the trainer builds its own
    (`FactorTables.for_lord`); the generator and perceptual loss are shared, not copied.

    Args:
        generator: the trained `LordGenerator` that decodes the codes.
        perceptual_loss: the reconstruction loss (a `VGGPerceptualLoss`).
        num_groups: class codes to fit (images of one group share a class code).
        num_images: content codes, one per image.
        noise_std: std of the content noise in training (unused with fixed content codes).
        content_decay: weight of the content codes' L2 penalty (idem).
        seed: seed of the initial codes and the noise.
        initial_class_codes: optional `(num_groups, class_dim)` start of the class codes.
        fixed_content_codes: optional `(num_images, content_dim)` content codes to keep as
            they are: they are not fitted, and get neither noise nor penalty.
        **kwargs: standard `keras.Model` arguments.

    """

    def __init__(
        self,
        generator,
        perceptual_loss,
        num_groups: int,
        num_images: int,
        noise_std: float = 1.0,
        content_decay: float = 1e-3,
        seed: int | None = None,
        initial_class_codes: np.ndarray | None = None,
        fixed_content_codes: np.ndarray | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.generator = generator
        self.perceptual_loss = perceptual_loss
        content_fixed = fixed_content_codes is not None
        self.tables = FactorTables.for_lord(
            num_classes=num_groups,
            num_samples=num_images,
            class_dim=generator.class_dim,
            content_dim=generator.content_dim,
            noise_std=0.0 if content_fixed else noise_std,
            content_decay=0.0 if content_fixed else content_decay,
            seed=seed,
        )
        if initial_class_codes is not None:
            self.tables.tables["class"].embeddings.assign(
                np.asarray(initial_class_codes, "float32")
            )
        if content_fixed:
            self.tables.tables["content"].embeddings.assign(
                np.asarray(fixed_content_codes, "float32")
            )
            self.tables.tables["content"].trainable = False
        self.seed = seed
        self.built = True

    def call(self, inputs, training=False):
        codes = self.tables(inputs, training=training)
        return self.generator(codes, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction, penalty = latent_optimization_loss(
            self.perceptual_loss, x, y_pred, self.losses
        )
        return reconstruction + penalty

    def fit_codes(self, images, class_groups, steps, learning_rate, batch_size, verbose):
        """Optimises the codes and returns one class and one content code per image.

        Args:
            images: `(N, H, W, C)` float images in `[0, 1]`.
            class_groups: `(N,)` group of each image, in `[0, num_groups)`.
            steps: epochs over the images.
            learning_rate: Adam learning rate.
            batch_size: images per step.
            verbose: Keras verbosity.

        Returns:
            `(class_codes, content_codes)` numpy arrays with one row per image.

        """
        generator_was_trainable = self.generator.trainable
        self.generator.trainable = False
        try:
            self.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5))
            inputs = {
                IMAGE_KEY: images,
                CLASS_ID_KEY: np.asarray(class_groups, dtype="int32"),
                SAMPLE_ID_KEY: np.arange(len(images), dtype="int32"),
            }
            if caches_target_features("auto", self.perceptual_loss, np.shape(images)):
                inputs.update(
                    compute_target_features(self.perceptual_loss, images, batch_size, verbose=0)
                )
            shuffle_seed = self.seed
            if shuffle_seed is None:
                shuffle_seed = int(np.random.default_rng().integers(2**31))
            batches = EpochBatches(inputs, batch_size, seed=shuffle_seed)
            self.fit(batches, epochs=steps, verbose=verbose)
        finally:
            self.generator.trainable = generator_was_trainable
        return self.tables.rows("class", class_groups), self.tables.table("content")
