"""What a content initialisation is: where stage 1's content codes start."""

import numpy as np


class ContentInitialization:
    """One way of choosing the content codes that latent optimisation starts from.

    LORD starts every content code near zero (`TableStart`); a content code is updated only
    in the steps whose batch holds its image, once per epoch, so in a short run the codes
    barely move from where they start. A start that already tells the views of a class
    apart (`ClassCentredPCA`) lets the generator learn to read pose from the first epochs.
    Chosen by name with `compile(content_initialization=...)`; the registry is
    `keras_lord.tables.content_initialization.CONTENT_INITIALIZATIONS`.

    Attributes:
        name: the name it is registered under.
        needs_images: whether it reads the training images (so `fit` must get them as
            arrays, not as a stream).

    """

    name: str = ""
    needs_images: bool = False

    def codes(self, images, class_ids, content_dim: int) -> np.ndarray | None:
        """The starting content codes of the given images.

        Args:
            images: `(n, height, width, channels)` `uint8` in `[0, 255]` or floats in
                `[0, 1]`; numpy or memory-mapped, read in chunks.
            class_ids: `(n,)` integer class of each image.
            content_dim: size of a content code.

        Returns:
            `(n, content_dim)` float32 codes, in the order of `images`, or `None` to keep
            the table's own start.

        """
        raise NotImplementedError

    def describe(self) -> str:
        """One line saying where the content codes start, for logs and the command line."""
        raise NotImplementedError
