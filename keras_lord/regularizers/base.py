"""What a content regulariser is: how stage 1 keeps class information out of content codes."""

import keras


class ContentRegularizer:
    """One way of keeping the content codes free of class information in stage 1.

    A regulariser decides the content table's layer (which adds the training noise and
    the penalty to the codes it returns) and the noise and penalty that test-time
    optimisation fits new codes with. It is chosen by name with
    `LordTrainer(content_regularization=...)`; the registry is
    `keras_lord.regularizers.CONTENT_REGULARIZERS`.

    Attributes:
        name: the name it is registered under.
        needs_table_rows: whether it keeps state per row of the content table (a learned
            variance), so that it only works where the content codes are table rows.

    """

    name: str = ""
    needs_table_rows: bool = False

    def strengths(self, noise_std: float, content_decay: float) -> tuple:
        """The noise std and penalty weight this regulariser applies, from those requested.

        Args:
            noise_std: the requested std of the fixed noise on content codes.
            content_decay: the requested weight of the penalty.

        Returns:
            `(noise_std, content_decay)` in force.

        """
        return float(noise_std), float(content_decay)

    def content_table(
        self, num_samples: int, content_dim: int, noise_std: float, content_decay: float, seed
    ) -> keras.layers.Layer:
        """The content table's layer: one code per training image, regularised.

        Args:
            num_samples: rows (training images).
            content_dim: size of a content code.
            noise_std: std of the training noise (`strengths` applied already).
            content_decay: weight of the penalty (`strengths` applied already).
            seed: seed of the initial codes and the noise, or `None`.

        Returns:
            An embedding layer named `"content_embedding"` with float32 rows.

        """
        raise NotImplementedError
