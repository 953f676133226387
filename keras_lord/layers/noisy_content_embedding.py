import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="keras_lord")
class NoisyContentEmbedding(keras.layers.Layer):
    """One latent-optimised content code per training image, regularised by fixed noise.

    This is LORD's "asymmetric noise" regulariser: during training, Gaussian noise of a
    FIXED standard deviation is added to every content code (the std is not learned, so
    the codes cannot shrink the noise away and must stay small and uninformative about the
    class), and an activation decay `decay * ||c||^2` on the clean code is added to the
    layer's losses. At inference the clean code is returned.

    The penalty is the batch mean of `decay * sum(c**2)` over code dimensions, computed on
    the noise-free code (the paper's form; the authors' PyTorch port applies it to the noisy
    code with `decay=1e-4`).

    Args:
        num_samples: number of training images (rows of the table).
        dim: size of each content code.
        noise_std: standard deviation of the training noise. Defaults to `1.0`.
        decay: weight of the L2 activity penalty. Defaults to `1e-3` (the paper's value).
        seed: optional integer seed for the initial values and the noise stream.
        **kwargs: standard `keras.layers.Layer` arguments such as `name` and `dtype`.

    Call arguments:
        sample_ids: integer tensor of shape `(batch,)` with values in `[0, num_samples)`.
        training: whether to add the noise.
        codes: optional `(batch, dim)` rows of the table for `sample_ids`, already
            gathered (LORD's row-wise training step gathers them outside of autodiff);
            the noise and the penalty are applied to them instead of to a lookup.

    Returns:
        Tensor of shape `(batch, dim)`: the (noisy, when training) content codes.

    Example:
    ```python
    layer = keras_lord.layers.NoisyContentEmbedding(num_samples=1000, dim=128)
    clean = layer(np.arange(4))
    noisy = layer(np.arange(4), training=True)
    penalty = layer.losses[0]
    ```

    """

    def __init__(
        self,
        num_samples: int,
        dim: int,
        noise_std: float = 1.0,
        decay: float = 1e-3,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if num_samples < 1 or dim < 1:
            raise ValueError(
                f"`num_samples` and `dim` must be positive; got num_samples={num_samples}, "
                f"dim={dim}."
            )
        if noise_std < 0 or decay < 0:
            raise ValueError(
                f"`noise_std` and `decay` must be >= 0; got noise_std={noise_std}, decay={decay}."
            )
        self.num_samples = int(num_samples)
        self.dim = int(dim)
        self.noise_std = float(noise_std)
        self.decay = float(decay)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            shape=(self.num_samples, self.dim),
            initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=self.seed),
            name="embeddings",
        )

    def call(self, sample_ids, training=False, codes=None):
        if codes is None:
            codes = ops.take(self.embeddings, ops.cast(sample_ids, "int32"), axis=0)
        if self.decay > 0:
            self.add_loss(self.decay * ops.mean(ops.sum(ops.square(codes), axis=-1)))
        if training and self.noise_std > 0:
            codes = codes + keras.random.normal(
                ops.shape(codes),
                stddev=self.noise_std,
                dtype=codes.dtype,
                seed=self.seed_generator,
            )
        return codes

    def start_codes(self, sample_ids, codes) -> None:
        """Sets where latent optimisation starts the codes of some images.

        Args:
            sample_ids: `(n,)` rows to set.
            codes: `(n, dim)` their codes (the means, where a row also holds variances).

        Raises:
            ValueError: for codes of another size or ids out of range.

        """
        sample_ids = np.asarray(sample_ids, "int64")
        codes = np.asarray(codes, "float32")
        if codes.shape != (len(sample_ids), self.dim):
            raise ValueError(
                f"Expected codes of shape ({len(sample_ids)}, {self.dim}); got {codes.shape}."
            )
        if len(sample_ids) and not 0 <= sample_ids.min() <= sample_ids.max() < self.num_samples:
            raise ValueError(f"Sample ids must lie in [0, {self.num_samples}).")
        # On the devices: no process need hold the table whole (its rows may be split over
        # the devices of several hosts).
        table = self.embeddings.value
        kept = ops.take(table, sample_ids, axis=0)[:, self.dim :]
        rows = ops.concatenate([ops.convert_to_tensor(codes, table.dtype), kept], axis=1)
        self.embeddings.assign(ops.scatter_update(table, sample_ids[:, None], rows))

    def save_own_variables(self, store):
        # Keras does not save seed generators; without their state a resumed run would
        # draw other noise than an uninterrupted one.
        store["0"] = ops.convert_to_numpy(self.embeddings)
        store["noise_seed_state"] = ops.convert_to_numpy(self.seed_generator.state)

    def load_own_variables(self, store):
        self.embeddings.assign(store["0"])
        if "noise_seed_state" in store.keys():
            self.seed_generator.state.assign(store["noise_seed_state"])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_samples": self.num_samples,
                "dim": self.dim,
                "noise_std": self.noise_std,
                "decay": self.decay,
                "seed": self.seed,
            }
        )
        return config
