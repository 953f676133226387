"""Input conventions shared by the ImageNet backbones."""

from keras import ops


def rgb_float32(images):
    """Casts images to float32 and tiles grayscale to three channels.

    Args:
        images: `(batch, H, W, 1 or 3)` tensor.

    Returns:
        `(batch, H, W, 3)` float32 tensor.

    """
    images = ops.cast(images, "float32")
    if images.shape[-1] == 1:
        images = ops.tile(images, (1, 1, 1, 3))
    return images
