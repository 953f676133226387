import math

import keras
from keras import layers

from keras_lord.models.network_config import network_config, network_from_config
from keras_lord.utils.seeding import kernel_initializers

# The discriminator's width by generator preset: the first block's channels and the cap.
DISCRIMINATOR_PRESETS = {
    "paper": {"base_channels": 64, "max_channels": 512},
    "small": {"base_channels": 32, "max_channels": 256},
}
# StyleGAN's discriminator slope; the generator and encoders keep LORD's 0.01.
NEGATIVE_SLOPE = 0.2


@keras.saving.register_keras_serializable(package="keras_lord")
class LordDiscriminator(keras.Model):
    """The critic of the adversarial synthesis stage: one image in, one real/fake logit out.

    A 3x3 convolution, then residual blocks that halve the map until it is 4x4 (each: two
    3x3 convolutions and a 2x2 average pool, beside a pooled 1x1 projection; the sum is
    scaled by `1/sqrt(2)` to keep its variance, as in StyleGAN2's discriminator), a dense
    layer and a linear logit. Channels double each block from `base_channels` up to
    `max_channels`. No normalisation layers: the R1 penalty of
    `keras_lord.trainers.AdversarialSynthesis` regularises it.

    Args:
        image_shape: `(height, width, channels)` of the images in `[0, 1]`; height and
            width at least 8.
        base_channels: channels of the first convolution.
        max_channels: most channels of a block.
        negative_slope: LeakyReLU slope.
        seed: optional seed of the initial weights.
        dtype: dtype policy of the layers (the logit is returned in float32).
        **kwargs: standard `keras.Model` arguments such as `name`.

    Call arguments:
        images: `(batch,) + image_shape` images in `[0, 1]`.

    Returns:
        `(batch, 1)` logits: high for images the critic takes for real.

    Raises:
        ValueError: for images smaller than 8x8, or channels below 1.

    Example:
    ```python
    critic = keras_lord.models.LordDiscriminator.from_preset("small", (32, 32, 3))
    logits = critic(np.zeros((4, 32, 32, 3), "float32"))  # (4, 1)
    ```

    """

    def __init__(
        self,
        image_shape: tuple,
        base_channels: int = 32,
        max_channels: int = 256,
        negative_slope: float = NEGATIVE_SLOPE,
        seed: int | None = None,
        dtype: str | keras.DTypePolicy | None = None,
        **kwargs,
    ):
        image_shape = tuple(int(v) for v in image_shape)
        if len(image_shape) != 3 or min(image_shape[:2]) < 8:
            raise ValueError(
                f"The discriminator takes images of at least 8x8 pixels; got shape {image_shape}."
            )
        if int(base_channels) < 1 or int(max_channels) < 1:
            raise ValueError(
                f"`base_channels` and `max_channels` must be >= 1; got {base_channels} and "
                f"{max_channels}."
            )
        kernel_initializer = kernel_initializers(seed)

        def conv(filters, size, name, use_bias=True):
            return layers.Conv2D(
                filters,
                size,
                padding="same",
                use_bias=use_bias,
                kernel_initializer=kernel_initializer(),
                dtype=dtype,
                name=name,
            )

        def activation(name):
            return layers.LeakyReLU(negative_slope, dtype=dtype, name=name)

        images = keras.Input(image_shape, name="image")
        x = layers.Rescaling(2.0, offset=-1.0, dtype=dtype, name="to_signed")(images)
        channels = min(int(base_channels), int(max_channels))
        x = activation("input_lrelu")(conv(channels, 3, "input_conv")(x))
        size, block = min(image_shape[:2]), 0
        while size > 4:
            filters = min(channels * 2, int(max_channels))
            skip = layers.AveragePooling2D(2, dtype=dtype, name=f"skip_pool_{block}")(x)
            skip = conv(filters, 1, f"skip_conv_{block}", use_bias=False)(skip)
            y = activation(f"lrelu_a_{block}")(conv(channels, 3, f"conv_a_{block}")(x))
            y = activation(f"lrelu_b_{block}")(conv(filters, 3, f"conv_b_{block}")(y))
            y = layers.AveragePooling2D(2, dtype=dtype, name=f"pool_{block}")(y)
            x = layers.Add(dtype=dtype, name=f"add_{block}")([skip, y])
            x = layers.Rescaling(1 / math.sqrt(2), dtype=dtype, name=f"scale_{block}")(x)
            channels, size, block = filters, size // 2, block + 1
        x = layers.Flatten(dtype=dtype, name="flatten")(x)
        x = layers.Dense(
            channels, kernel_initializer=kernel_initializer(), dtype=dtype, name="dense"
        )(x)
        x = activation("dense_lrelu")(x)
        logits = layers.Dense(
            1, kernel_initializer=kernel_initializer(), dtype="float32", name="logit"
        )(x)
        super().__init__(inputs=images, outputs=logits, **kwargs)
        self.image_shape = image_shape
        self.base_channels = int(base_channels)
        self.max_channels = int(max_channels)
        self.negative_slope = float(negative_slope)
        self.seed = seed
        self.layer_dtype = dtype

    @classmethod
    def from_preset(cls, preset: str, image_shape: tuple, **kwargs) -> "LordDiscriminator":
        """A discriminator as wide as a generator preset calls for.

        Args:
            preset: `"paper"` (64 channels first, at most 512) or `"small"` (32, at most 256).
            image_shape: `(height, width, channels)` of the images.
            **kwargs: other `__init__` arguments, replacing the preset's.

        Returns:
            An untrained `LordDiscriminator`.

        Raises:
            ValueError: for an unknown preset.

        Example:
        ```python
        critic = keras_lord.models.LordDiscriminator.from_preset("paper", (64, 64, 3))
        ```

        """
        if preset not in DISCRIMINATOR_PRESETS:
            raise ValueError(
                f"Unknown preset {preset!r}; choose one of {sorted(DISCRIMINATOR_PRESETS)}."
            )
        return cls(image_shape, **{**DISCRIMINATOR_PRESETS[preset], **kwargs})

    def get_config(self):
        return network_config(
            self,
            image_shape=self.image_shape,
            base_channels=self.base_channels,
            max_channels=self.max_channels,
            negative_slope=self.negative_slope,
            seed=self.seed,
        )

    @classmethod
    def from_config(cls, config):
        return network_from_config(cls, config)
