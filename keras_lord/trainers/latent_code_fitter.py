import keras
import numpy as np
from keras import ops

from keras_lord.layers.noisy_content_embedding import NoisyContentEmbedding
from keras_lord.layers.shared_class_embedding import SharedClassEmbedding
from keras_lord.trainers.losses import latent_optimization_loss


class LatentCodeFitter(keras.Model):
    """Fits class and content codes of new images against a trained generator, kept frozen.

    Used by `LordTrainer.optimize_codes`: stage-1 latent optimisation with fresh tables for
    the given images and the trainer's generator and perceptual loss shared, not copied.

    Args:
        trainer: the trained `LordTrainer` whose generator decodes the codes.
        num_groups: class codes to fit (images of one group share a class code).
        num_images: content codes to fit, one per image.
        **kwargs: standard `keras.Model` arguments.

    """

    def __init__(self, trainer, num_groups: int, num_images: int, **kwargs):
        super().__init__(**kwargs)
        self.generator = trainer.generator
        self.perceptual_loss = trainer.perceptual_loss
        self.class_embedding = SharedClassEmbedding(
            num_groups, trainer.class_dim, seed=trainer.seed, name="class_embedding"
        )
        self.content_embedding = NoisyContentEmbedding(
            num_images,
            trainer.content_dim,
            noise_std=trainer.noise_std,
            decay=trainer.content_decay,
            seed=trainer.seed,
            name="content_embedding",
        )
        self.class_embedding.build((None,))
        self.content_embedding.build((None,))
        self.built = True

    def call(self, inputs, training=False):
        class_codes = self.class_embedding(inputs["class_id"])
        content_codes = self.content_embedding(inputs["sample_id"], training=training)
        return self.generator(
            {"content_code": content_codes, "class_code": class_codes}, training=training
        )

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction, penalty = latent_optimization_loss(
            self.perceptual_loss, x["image"], y_pred, self.losses
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
                "image": images,
                "class_id": np.asarray(class_groups, dtype="int32"),
                "sample_id": np.arange(len(images), dtype="int32"),
            }
            self.fit(inputs, batch_size=batch_size, epochs=steps, verbose=verbose)
        finally:
            self.generator.trainable = generator_was_trainable
        class_table = ops.convert_to_numpy(self.class_embedding.embeddings)
        content_table = ops.convert_to_numpy(self.content_embedding.embeddings)
        return class_table[np.asarray(class_groups)], content_table
