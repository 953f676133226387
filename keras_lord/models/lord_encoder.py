import keras
from keras import layers

from keras_lord.models.network_config import network_config, network_from_config
from keras_lord.utils.seeding import kernel_initializers

ENCODER_FILTERS = (128, 256, 256, 256)


@keras.saving.register_keras_serializable(package="keras_lord")
class LordEncoder(keras.Model):
    """LORD's stage-2 encoder: one image in, one code out (class or content).

    A 7x7 convolution with 64 filters, four 4x4 stride-2 convolutions (128, 256, 256, 256
    filters), two dense layers of 256 units and a linear projection to the code, with
    LeakyReLU activations. The flatten size follows from `image_shape` (the authors' PyTorch
    port hard-codes it for 64x64 inputs).

    Args:
        image_shape: `(height, width, channels)` of the input images in `[0, 1]`.
        code_dim: size of the output code.
        negative_slope: LeakyReLU slope.
        seed: optional seed of the initial weights.
        dtype: dtype policy of the layers (the code is returned in float32).
        **kwargs: standard `keras.Model` arguments such as `name`.

    Call arguments:
        images: `(batch,) + image_shape` images in `[0, 1]`.

    Returns:
        `(batch, code_dim)` codes.

    Example:
    ```python
    encoder = keras_lord.models.LordEncoder(image_shape=(32, 32, 3), code_dim=128)
    codes = encoder(np.zeros((4, 32, 32, 3), "float32"))
    ```

    """

    def __init__(
        self,
        image_shape: tuple,
        code_dim: int,
        negative_slope: float = 0.01,
        seed: int | None = None,
        dtype: str | keras.DTypePolicy | None = None,
        **kwargs,
    ):
        kernel_initializer = kernel_initializers(seed)
        image_shape = tuple(int(v) for v in image_shape)
        images = keras.Input(image_shape, name="image")
        x = layers.Conv2D(
            64,
            7,
            padding="same",
            kernel_initializer=kernel_initializer(),
            dtype=dtype,
            name="input_conv",
        )(images)
        x = layers.LeakyReLU(negative_slope, dtype=dtype, name="input_lrelu")(x)
        for index, filters in enumerate(ENCODER_FILTERS):
            x = layers.Conv2D(
                filters,
                4,
                strides=2,
                padding="same",
                kernel_initializer=kernel_initializer(),
                dtype=dtype,
                name=f"down_conv_{index}",
            )(x)
            x = layers.LeakyReLU(negative_slope, dtype=dtype, name=f"down_lrelu_{index}")(x)
        x = layers.Flatten(dtype=dtype, name="flatten")(x)
        for index in range(2):
            x = layers.Dense(
                256, kernel_initializer=kernel_initializer(), dtype=dtype, name=f"dense_{index}"
            )(x)
            x = layers.LeakyReLU(negative_slope, dtype=dtype, name=f"dense_lrelu_{index}")(x)
        codes = layers.Dense(
            code_dim, kernel_initializer=kernel_initializer(), dtype="float32", name="code"
        )(x)
        super().__init__(inputs=images, outputs=codes, **kwargs)
        self.image_shape = image_shape
        self.code_dim = int(code_dim)
        self.negative_slope = float(negative_slope)
        self.seed = seed
        self.layer_dtype = dtype

    def get_config(self):
        return network_config(
            self,
            image_shape=self.image_shape,
            code_dim=self.code_dim,
            negative_slope=self.negative_slope,
            seed=self.seed,
        )

    @classmethod
    def from_config(cls, config):
        return network_from_config(cls, config)
