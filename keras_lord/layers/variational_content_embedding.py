import keras
from keras import ops

from keras_lord.layers.noisy_content_embedding import NoisyContentEmbedding


@keras.saving.register_keras_serializable(package="keras_lord")
class VariationalContentEmbedding(NoisyContentEmbedding):
    """Content codes regularised by a KL divergence instead of fixed noise (an ablation).

    The paper's Table 3 compares LORD's fixed-std noise with a VAE-style regulariser: each
    training image has a learned mean and a learned log-variance; training samples
    `mean + exp(log_variance / 2) * eps` and adds `decay` times the batch mean of
    `KL(N(mean, var) || N(0, 1))`, summed over code dimensions. Unlike fixed noise, the
    variance can shrink, so the codes are free to carry class information (the reason the
    paper gives for its choice). At inference the mean is returned.

    A table row holds the mean and then the log-variance (`(num_samples, 2 * dim)`), so the
    row-wise optimiser updates both together.

    Args:
        num_samples: number of training images (rows of the table).
        dim: size of each content code.
        decay: weight of the KL term. Defaults to `1e-3`.
        seed: optional integer seed for the initial means and the sampling noise.
        **kwargs: standard `keras.layers.Layer` arguments such as `name` and `dtype`.

    Call arguments:
        sample_ids: integer tensor of shape `(batch,)` with values in `[0, num_samples)`.
        training: whether to sample instead of returning the mean.
        codes: optional `(batch, 2 * dim)` rows already gathered, as for
            `NoisyContentEmbedding`.

    Returns:
        Tensor of shape `(batch, dim)`: sampled (training) or mean content codes.

    Example:
    ```python
    layer = keras_lord.layers.VariationalContentEmbedding(num_samples=1000, dim=128)
    means = layer(np.arange(4))
    samples = layer(np.arange(4), training=True)
    kl_term = layer.losses[0]
    ```

    """

    def __init__(
        self,
        num_samples: int,
        dim: int,
        decay: float = 1e-3,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(num_samples, dim, noise_std=0.0, decay=decay, seed=seed, **kwargs)

    def build(self, input_shape=None):
        means = keras.initializers.RandomUniform(-0.05, 0.05, seed=self.seed)

        def initial_rows(shape, dtype=None):
            # Log-variance 0: the samples start as noisy as LORD's fixed unit noise.
            return ops.concatenate(
                [means((shape[0], self.dim), dtype), ops.zeros((shape[0], self.dim), dtype)],
                axis=-1,
            )

        self.embeddings = self.add_weight(
            shape=(self.num_samples, 2 * self.dim), initializer=initial_rows, name="embeddings"
        )

    def clean_codes(self, rows):
        """The means of gathered rows (the codes at inference)."""
        return rows[..., : self.dim]

    def call(self, sample_ids, training=False, codes=None):
        if codes is None:
            codes = ops.take(self.embeddings, ops.cast(sample_ids, "int32"), axis=0)
        means, log_variances = codes[..., : self.dim], codes[..., self.dim :]
        if self.decay > 0:
            divergence = 0.5 * ops.sum(
                ops.square(means) + ops.exp(log_variances) - 1.0 - log_variances, axis=-1
            )
            self.add_loss(self.decay * ops.mean(divergence))
        if not training:
            return means
        noise = keras.random.normal(ops.shape(means), dtype=means.dtype, seed=self.seed_generator)
        return means + ops.exp(0.5 * log_variances) * noise

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.dim,)

    def get_config(self):
        config = super().get_config()
        config.pop("noise_std")
        return config
