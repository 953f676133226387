"""FLOPs of a LordTrainer step, counted from the layers, and the machine's measured peak.

A multiply-add counts as 2 FLOPs. Only convolutions and dense layers are counted (they are
over 99 % of the work); a training step costs, per image:

* generator (and, in stage 2, both encoders): 3x forward (forward, gradient with respect
  to the inputs, gradient with respect to the weights);
* frozen VGG16: 3x forward (targets' forward, outputs' forward, gradient with respect to
  the outputs; no weight gradient).
"""

# keras-lord before keras: it chooses TensorFlow's and XLA's CPU kernels, which they fix
# when they load (docs/performance.md, "A CPU that shows only AVX2").
import keras_lord  # noqa: F401

# isort: split
import statistics
import time

import keras
import numpy as np

from keras_lord.backend.keras_compat import flatten_layers
from keras_lord.layers import PatchMatmulConv2D, UpsampleConv2D
from keras_lord.layers.same_convolution import is_plain_same_convolution, same_padding_before


def _executed_fraction(layer, input_shape) -> float:
    """Fraction of a convolution's nominal products that keras-lord computes.

    `UpsampleConv2D` convolves the map before upsampling with summed taps: per output
    pixel `(k + s - 1) / s` taps along each axis of a `k` kernel instead of `k`.
    `PatchMatmulConv2D` skips the products with padding on maps smaller than the kernel.
    """
    if isinstance(layer, UpsampleConv2D) and layer.skips_upsampling(input_shape):
        factor = layer.upsampling
        return float(np.prod([(size + factor - 1) / (size * factor) for size in layer.kernel_size]))
    map_size = input_shape[1:3]
    if (
        isinstance(layer, PatchMatmulConv2D)
        and is_plain_same_convolution(layer, input_shape)
        and np.prod(map_size) < np.prod(layer.kernel_size)
    ):
        fraction = 1.0
        for length, size, before in zip(
            map_size, layer.kernel_size, same_padding_before(layer.kernel_size)
        ):
            inside = sum(
                0 <= out + tap - before < length for out in range(length) for tap in range(size)
            )
            fraction *= inside / (length * size)
        return fraction
    return 1.0


def _functional_forward_flops(model, input_spec, executed=False) -> int:
    """Forward FLOPs of one example through a functional model, nested layers included.

    Nominal FLOPs count every product of each convolution as written (after an upsampling,
    as the reference computes it); `executed=True` counts those keras-lord's layers compute.
    """
    convolutions = [
        layer for layer in flatten_layers(model) if isinstance(layer, keras.layers.Conv2D)
    ]
    # The model's own graph gives every convolution's output shape for concrete inputs.
    probe = keras.Model(model.inputs, [layer.output for layer in convolutions])
    output_specs = probe.compute_output_spec(input_spec)
    if not isinstance(output_specs, (list, tuple)):
        output_specs = [output_specs]
    flops = 0
    for layer, spec in zip(convolutions, output_specs):
        height, width = spec.shape[1:3]
        fraction = _executed_fraction(layer, layer.input.shape) if executed else 1.0
        flops += 2 * int(np.prod(layer.kernel.shape)) * height * width * fraction
    for layer in flatten_layers(model):
        if isinstance(layer, keras.layers.Dense):
            # LORD's dense layers see one vector per image.
            flops += 2 * int(np.prod(layer.kernel.shape))
    return int(flops)


def training_flops_per_image(trainer, executed=False, cached_targets=False) -> dict:
    """FLOPs per image of one training step of `trainer` in its current stage.

    Args:
        trainer: a `LordTrainer`.
        executed: count the products keras-lord computes instead of the nominal ones.
        cached_targets: the targets' VGG features come from a cache (no forward pass of
            the targets through VGG16).

    Returns:
        `{"generator", "vgg", "encoders", "total"}` FLOPs per image per step.

    """
    image = keras.KerasTensor((1,) + trainer.image_shape)
    codes = {
        "content_code": keras.KerasTensor((1, trainer.content_dim)),
        "class_code": keras.KerasTensor((1, trainer.class_dim)),
    }
    generator = _functional_forward_flops(trainer.generator, codes, executed)
    vgg = _functional_forward_flops(trainer.perceptual_loss.vgg, image, executed)
    encoders = 0
    if trainer.stage == 2:
        encoders = sum(
            _functional_forward_flops(encoder, image, executed)
            for encoder in (trainer.class_encoder, trainer.content_encoder)
        )
    # VGG16 is frozen: a forward pass of the generated images and of the targets, and
    # the generated images' input gradient.
    vgg_passes = 2 if cached_targets else 3
    parts = {"generator": 3 * generator, "vgg": vgg_passes * vgg, "encoders": 3 * encoders}
    parts["total"] = sum(parts.values())
    return parts


def matmul_peak_flops(dtype: str = "float32", size: int = 2048, repeats: int = 7) -> float:
    """Measured FLOP/s of a square matmul in `dtype` on the current backend (median).

    Args:
        dtype: `"float32"` or `"bfloat16"`.
        size: matrix side.
        repeats: timed repetitions after one warm-up.

    Returns:
        FLOP/s.

    """
    rng = np.random.default_rng(0)
    left = keras.ops.cast(rng.normal(size=(size, size)).astype("float32"), dtype)
    right = keras.ops.cast(rng.normal(size=(size, size)).astype("float32"), dtype)

    def product_corner():
        # Reading one element waits for the product on every backend.
        corner = keras.ops.matmul(left, right)[0, 0]
        return keras.ops.convert_to_numpy(keras.ops.cast(corner, "float32"))

    product_corner()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        product_corner()
        times.append(time.perf_counter() - start)
    return 2 * size**3 / statistics.median(times)
