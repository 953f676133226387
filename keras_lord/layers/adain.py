import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_lord")
class AdaIN(keras.layers.Layer):
    """Adaptive instance normalisation with a per-sample scale and bias.

    Each sample's feature map is normalised per channel over its spatial axes, then
    multiplied by `scale` and shifted by `bias` (raw scale, no `+1`, as in LORD):
    `scale * (x - mean) / sqrt(var + epsilon) + bias`.

    Args:
        epsilon: added to the variance before the square root. Defaults to `1e-5`
            (the authors' PyTorch port; their Keras code used `(x - mean) / (std + 1e-7)`,
            which differs only for near-constant channels).
        **kwargs: standard `keras.layers.Layer` arguments such as `name` and `dtype`.

    Call arguments:
        inputs: feature map of shape `(batch, height, width, channels)`.
        scale: tensor of shape `(batch, channels)`.
        bias: tensor of shape `(batch, channels)`.

    Returns:
        Tensor of the same shape as `inputs`.

    Example:
    ```python
    x = np.random.rand(2, 8, 8, 16).astype("float32")
    y = keras_lord.layers.AdaIN()(x, np.ones((2, 16)), np.zeros((2, 16)))
    ```

    """

    def __init__(self, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs, scale, bias):
        # Statistics in float32 even under a bfloat16 policy: variance of large maps
        # loses most of its digits in 8-bit mantissas.
        x = ops.cast(inputs, "float32")
        mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)
        # Folding the normalisation into one per-channel multiplier and offset leaves two
        # passes over the map instead of four, forward and backward.
        multiplier = ops.cast(scale, "float32")[:, None, None, :] * ops.rsqrt(
            variance + self.epsilon
        )
        offset = ops.cast(bias, "float32")[:, None, None, :] - mean * multiplier
        return ops.cast(x * multiplier + offset, self.compute_dtype)

    def compute_output_shape(self, inputs_shape, scale_shape, bias_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon})
        return config
