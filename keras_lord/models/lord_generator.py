import keras
from keras import layers

from keras_lord.layers.adain import AdaIN
from keras_lord.layers.class_modulation import ClassModulation
from keras_lord.layers.space_to_depth_conv2d import SpaceToDepthConv2D
from keras_lord.layers.upsample_conv2d import UpsampleConv2D
from keras_lord.models.network_config import network_config, network_from_config
from keras_lord.utils.memory import physical_memory_bytes
from keras_lord.utils.seeding import kernel_initializers


def check_image_shape(image_shape, num_adain_layers: int) -> tuple:
    """Validates an `(height, width, channels)` image shape for a LORD generator.

    Args:
        image_shape: the shape to check.
        num_adain_layers: number of 2x upsampling blocks the generator will use.

    Returns:
        The shape as a tuple of three ints.

    Raises:
        ValueError: if the shape is not `(H, W, 1 or 3)` with `H` and `W` divisible by
            `2 ** num_adain_layers`.

    """
    if len(image_shape) != 3:
        raise ValueError(f"`image_shape` must be (height, width, channels); got {image_shape}.")
    height, width, channels = (int(v) for v in image_shape)
    factor = 2**num_adain_layers
    if channels not in (1, 3):
        raise ValueError(f"Images must have 1 or 3 channels; got image_shape={image_shape}.")
    if height % factor or width % factor or height < factor or width < factor:
        raise ValueError(
            f"Height and width must be positive multiples of 2**num_adain_layers = {factor} "
            f"(each AdaIN block upsamples by 2); got image_shape={image_shape}. Resize the "
            "images or change `num_adain_layers`."
        )
    return (height, width, channels)


# Bytes per weight while training: the fp32 weight, its gradient and Adam's two moments.
TRAINING_BYTES_PER_WEIGHT = 16


def check_generator_memory(
    image_shape: tuple, content_dim: int, adain_dim: int, num_adain_layers: int
) -> None:
    """Refuses a generator whose dense layers could not be trained in this machine's memory.

    The dense layers map the content code to a map of `image / 2**num_adain_layers` a side
    and `adain_dim` channels; their weights grow with the square of that map's size (the
    `small` preset at 512x512: 19 billion), so a large image size can ask for more memory
    than any machine has. Checked before anything is built.

    Args:
        image_shape: `(height, width, channels)`, already checked by `check_image_shape`.
        content_dim: the content code's size.
        adain_dim: channels of the generator's first map.
        num_adain_layers: its 2x upsampling blocks.

    Raises:
        ValueError: naming the weights, the memory they need and what to change.

    """
    height, width, _ = image_shape
    size = (height // 2**num_adain_layers) * (width // 2**num_adain_layers) * adain_dim
    units = (content_dim, size // 8, size // 4, size)
    weights = sum(inputs * outputs for inputs, outputs in zip(units, units[1:]))
    needed = weights * TRAINING_BYTES_PER_WEIGHT
    available = physical_memory_bytes()
    if available and needed > available:
        raise ValueError(
            f"A generator for {height}x{width} images with adain_dim={adain_dim} and "
            f"num_adain_layers={num_adain_layers} has {weights / 1e9:.1f} billion weights in "
            f"its dense layers: {needed / 2**30:.0f} GiB to train, and this machine has "
            f"{available / 2**30:.0f} GiB. Use smaller images (`--size`, e.g. 64 or 128), or "
            "more AdaIN layers (`num_adain_layers`), which start the generator from a smaller map."
        )


@keras.saving.register_keras_serializable(package="keras_lord")
class LordGenerator(keras.Model):
    """LORD's AdaIN generator: `image = G(content_code, class_code)`.

    The content code goes through three dense layers to a `(H / 2**n, W / 2**n, adain_dim)`
    map, then `n` blocks of `[nearest upsample x2, conv 3x3, LeakyReLU, AdaIN]`, where the
    AdaIN scale and bias of every block come from the class code through a
    `ClassModulation`. A 5x5 and a 7x7 convolution and a sigmoid give an image in `[0, 1]`.

    Args:
        image_shape: `(height, width, channels)` of the images, channels 1 or 3, height and
            width divisible by `2 ** num_adain_layers`.
        content_dim: size of the content code.
        class_dim: size of the class code.
        adain_dim: channels of the AdaIN blocks (`256` in the paper).
        num_adain_layers: number of AdaIN blocks (`4` in the paper).
        negative_slope: LeakyReLU slope. Defaults to `0.01` (the authors' PyTorch port);
            their Keras code used `0.3`.
        adain_epsilon: variance epsilon of the AdaIN layers.
        seed: optional seed of the initial weights (each layer gets its own stream).
        dtype: dtype policy of the layers (the output sigmoid always runs in float32).
        **kwargs: standard `keras.Model` arguments such as `name` and `dtype`.

    Call arguments:
        inputs: dict with `"content_code"` `(batch, content_dim)` and `"class_code"`
            `(batch, class_dim)`.

    Returns:
        Images of shape `(batch,) + image_shape` in `[0, 1]`.

    Example:
    ```python
    generator = keras_lord.models.LordGenerator(
        image_shape=(32, 32, 3), content_dim=128, class_dim=256, adain_dim=64,
        num_adain_layers=3,
    )
    images = generator({"content_code": np.zeros((2, 128)), "class_code": np.zeros((2, 256))})
    ```

    """

    def __init__(
        self,
        image_shape: tuple,
        content_dim: int = 128,
        class_dim: int = 256,
        adain_dim: int = 256,
        num_adain_layers: int = 4,
        negative_slope: float = 0.01,
        adain_epsilon: float = 1e-5,
        seed: int | None = None,
        dtype: str | keras.DTypePolicy | None = None,
        **kwargs,
    ):
        kernel_initializer = kernel_initializers(seed)
        image_shape = check_image_shape(image_shape, num_adain_layers)
        height, width, channels = image_shape
        initial_height = height // 2**num_adain_layers
        initial_width = width // 2**num_adain_layers
        initial_size = initial_height * initial_width * adain_dim

        content_code = keras.Input((content_dim,), name="content_code")
        class_code = keras.Input((class_dim,), name="class_code")
        x = content_code
        for index, units in enumerate((initial_size // 8, initial_size // 4, initial_size)):
            x = layers.Dense(
                units,
                kernel_initializer=kernel_initializer(),
                dtype=dtype,
                name=f"content_dense_{index}",
            )(x)
            x = layers.LeakyReLU(negative_slope, dtype=dtype, name=f"content_lrelu_{index}")(x)
        x = layers.Reshape((initial_height, initial_width, adain_dim), dtype=dtype)(x)
        adain_params = ClassModulation(
            num_adain_layers,
            adain_dim,
            kernel_initializer=kernel_initializer(),
            dtype=dtype,
            name="class_modulation",
        )(class_code)
        for index in range(num_adain_layers):
            # Nearest-neighbour upsampling by 2, then a 3x3 convolution (see UpsampleConv2D).
            x = UpsampleConv2D(
                adain_dim,
                3,
                upsampling=2,
                padding="same",
                kernel_initializer=kernel_initializer(),
                dtype=dtype,
                name=f"adain_conv_{index}",
            )(x)
            x = layers.LeakyReLU(negative_slope, dtype=dtype, name=f"adain_lrelu_{index}")(x)
            x = AdaIN(adain_epsilon, dtype=dtype, name=f"adain_{index}")(
                x, adain_params[:, index, 0], adain_params[:, index, 1]
            )
        x = layers.Conv2D(
            64,
            5,
            padding="same",
            kernel_initializer=kernel_initializer(),
            dtype=dtype,
            name="output_conv_0",
        )(x)
        x = layers.LeakyReLU(negative_slope, dtype=dtype, name="output_lrelu")(x)
        # 1 or 3 output channels: see SpaceToDepthConv2D.
        x = SpaceToDepthConv2D(
            channels,
            7,
            padding="same",
            kernel_initializer=kernel_initializer(),
            dtype=dtype,
            name="output_conv_1",
        )(x)
        # The sigmoid runs in float32 so images stay exactly in [0, 1] under bfloat16.
        images = layers.Activation("sigmoid", dtype="float32", name="image")(x)
        super().__init__(
            inputs={"content_code": content_code, "class_code": class_code},
            outputs=images,
            **kwargs,
        )
        self.image_shape = image_shape
        self.content_dim = int(content_dim)
        self.class_dim = int(class_dim)
        self.adain_dim = int(adain_dim)
        self.num_adain_layers = int(num_adain_layers)
        self.negative_slope = float(negative_slope)
        self.adain_epsilon = float(adain_epsilon)
        self.seed = seed
        self.layer_dtype = dtype

    def get_config(self):
        return network_config(
            self,
            image_shape=self.image_shape,
            content_dim=self.content_dim,
            class_dim=self.class_dim,
            adain_dim=self.adain_dim,
            num_adain_layers=self.num_adain_layers,
            negative_slope=self.negative_slope,
            adain_epsilon=self.adain_epsilon,
            seed=self.seed,
        )

    @classmethod
    def from_config(cls, config):
        return network_from_config(cls, config)
