import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_lord")
class SharedClassEmbedding(keras.layers.Layer):
    """One latent-optimised code per class, shared by every image of the class.

    LORD's stage 1 has no class encoder: the class code of an image is the row of this
    table indexed by its class id, and the rows are trained directly by gradient descent
    together with the generator. Rows start uniform in `[-0.05, 0.05]`, as in the paper.

    Args:
        num_classes: number of classes (rows of the table).
        dim: size of each class code.
        seed: optional integer seed for the initial values.
        **kwargs: standard `keras.layers.Layer` arguments such as `name` and `dtype`.

    Call arguments:
        class_ids: integer tensor of shape `(batch,)` with values in `[0, num_classes)`.
        training: unused (the class codes have no noise); accepted as every table takes it.
        codes: optional `(batch, dim)` rows of the table for `class_ids`, already gathered
            (LORD's row-wise training step gathers them outside of autodiff).

    Returns:
        Tensor of shape `(batch, dim)`: the class codes.

    Example:
    ```python
    layer = keras_lord.layers.SharedClassEmbedding(num_classes=10, dim=256)
    codes = layer(np.array([0, 3, 3]))  # rows 1 and 2 are identical
    ```

    """

    def __init__(self, num_classes: int, dim: int, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if num_classes < 1 or dim < 1:
            raise ValueError(
                f"`num_classes` and `dim` must be positive; got num_classes={num_classes}, "
                f"dim={dim}."
            )
        self.num_classes = int(num_classes)
        self.dim = int(dim)
        self.seed = seed

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            shape=(self.num_classes, self.dim),
            initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=self.seed),
            name="embeddings",
        )

    def call(self, class_ids, training=False, codes=None):
        if codes is not None:
            return codes
        return ops.take(self.embeddings, ops.cast(class_ids, "int32"), axis=0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.dim,)

    def get_config(self):
        config = super().get_config()
        config.update({"num_classes": self.num_classes, "dim": self.dim, "seed": self.seed})
        return config
