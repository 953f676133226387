"""Loss terms shared by stage-1 training and test-time latent optimisation."""

from keras import ops

from keras_lord.data.contract import IMAGE_KEY
from keras_lord.data.pixels import unit_float_tensor
from keras_lord.losses.target_features import cached_target_features


def latent_optimization_loss(perceptual_loss, inputs, generated, layer_losses) -> tuple:
    """Stage-1 objective: perceptual reconstruction and the content codes' penalty.

    Args:
        perceptual_loss: a `VGGPerceptualLoss`.
        inputs: the batch: its `"image"` entry, `uint8` or floats in `[0, 1]`, is the
            target, and the targets' cached VGG features are read from it where it holds
            them (`keras_lord.losses.target_features`).
        generated: generated images.
        layer_losses: losses added by the layers in the forward pass (the content penalty).

    Returns:
        `(reconstruction, penalty)` scalars.

    """
    targets = unit_float_tensor(inputs[IMAGE_KEY])
    target_features = cached_target_features(perceptual_loss, inputs)
    if target_features is None:
        per_sample = perceptual_loss(targets, generated)
    else:
        per_sample = perceptual_loss(targets, generated, true_features=target_features)
    reconstruction = ops.mean(per_sample)
    penalty = ops.sum(ops.stack(layer_losses)) if layer_losses else ops.zeros(())
    return reconstruction, penalty
