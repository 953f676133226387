"""Loss terms shared by stage-1 training and test-time latent optimisation."""

from keras import ops

from keras_lord.data.pixels import unit_float_tensor


def latent_optimization_loss(perceptual_loss, images, generated, layer_losses) -> tuple:
    """Stage-1 objective: perceptual reconstruction and the content codes' penalty.

    Args:
        perceptual_loss: a `VGGPerceptualLoss`.
        images: target images, `uint8` or floats in `[0, 1]`.
        generated: generated images.
        layer_losses: losses added by the layers in the forward pass (the content penalty).

    Returns:
        `(reconstruction, penalty)` scalars.

    """
    reconstruction = ops.mean(perceptual_loss(unit_float_tensor(images), generated))
    penalty = ops.sum(ops.stack(layer_losses)) if layer_losses else ops.zeros(())
    return reconstruction, penalty
