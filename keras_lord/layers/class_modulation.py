import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_lord")
class ClassModulation(keras.layers.Layer):
    """Turns a class code into the scale and bias of every AdaIN layer of the generator.

    One dense projection of the class code to `num_layers * 2 * channels` values, split
    into a `(scale, bias)` pair per AdaIN layer. This is how the class code modulates the
    convolutions of LORD's generator.

    Args:
        num_layers: number of AdaIN layers to modulate.
        channels: channels of each AdaIN layer.
        kernel_initializer: initializer of the projection's kernel.
        **kwargs: standard `keras.layers.Layer` arguments such as `name` and `dtype`.

    Call arguments:
        class_codes: tensor of shape `(batch, class_dim)`.

    Returns:
        Tensor of shape `(batch, num_layers, 2, channels)`: `[:, i, 0]` is the scale and
        `[:, i, 1]` the bias of AdaIN layer `i`.

    Example:
    ```python
    modulation = keras_lord.layers.ClassModulation(num_layers=4, channels=256)
    params = modulation(np.zeros((8, 256), "float32"))  # (8, 4, 2, 256)
    ```

    """

    def __init__(
        self,
        num_layers: int,
        channels: int,
        kernel_initializer: str | keras.initializers.Initializer = "glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_layers = int(num_layers)
        self.channels = int(channels)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.projection = keras.layers.Dense(
            self.num_layers * 2 * self.channels,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="projection",
        )

    def build(self, input_shape):
        self.projection.build(input_shape)

    def call(self, class_codes):
        params = self.projection(class_codes)
        return ops.reshape(params, (-1, self.num_layers, 2, self.channels))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_layers, 2, self.channels)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_layers": self.num_layers,
                "channels": self.channels,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config
