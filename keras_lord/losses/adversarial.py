"""The synthesis stage's adversarial losses, on a discriminator's logits.

The non-saturating GAN losses (Goodfellow et al., 2014) and the R1 penalty (Mescheder et
al., 2018).
"""

from keras import ops

from keras_lord import backend


def generator_adversarial_loss(fake_logits):
    """The generator's non-saturating loss: `mean(softplus(-D(fake)))`.

    Args:
        fake_logits: the discriminator's logits of generated images.

    Returns:
        A float32 scalar; it falls as the critic takes the images for real.

    Example:
    ```python
    generator_adversarial_loss(np.zeros((4, 1), "float32"))  # log(2)
    ```

    """
    return ops.mean(ops.softplus(-ops.cast(fake_logits, "float32")))


def discriminator_adversarial_loss(real_logits, fake_logits):
    """The discriminator's loss: `mean(softplus(-D(real))) + mean(softplus(D(fake)))`.

    Args:
        real_logits: the discriminator's logits of training images.
        fake_logits: its logits of generated images.

    Returns:
        A float32 scalar: the cross-entropy of telling the two apart (`2 log 2` at chance).

    Example:
    ```python
    discriminator_adversarial_loss(np.zeros((4, 1)), np.zeros((4, 1)))  # 2 log(2)
    ```

    """
    real = ops.mean(ops.softplus(-ops.cast(real_logits, "float32")))
    return real + ops.mean(ops.softplus(ops.cast(fake_logits, "float32")))


def r1_penalty(discriminator, real_images):
    """The R1 penalty: the mean over images of `|d D(x) / d x|^2` on training images.

    Differentiable with respect to the discriminator's weights (a second derivative), so
    it can be minimised with them.

    Args:
        discriminator: a function from images to `(batch, 1)` logits.
        real_images: `(batch, height, width, channels)` training images.

    Returns:
        A float32 scalar: 0 where the critic is flat around the data.

    Example:
    ```python
    r1_penalty(lambda x: 3.0 * x.sum(axis=(1, 2, 3)), images)  # 9 * pixels per image
    ```

    """
    squared_norms = backend.squared_input_gradient_norms(
        lambda images: ops.sum(ops.cast(discriminator(images), "float32")), real_images
    )
    return ops.mean(squared_norms)
