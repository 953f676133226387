"""LORD's content regulariser: fixed-std Gaussian noise and an L2 activity penalty."""

from keras_lord.layers.noisy_content_embedding import NoisyContentEmbedding
from keras_lord.regularizers.base import ContentRegularizer


class FixedNoise(ContentRegularizer):
    """LORD: Gaussian noise of a fixed std on every content code and an L2 penalty on it.

    The noise limits how much a content code can carry; the penalty keeps the codes from
    growing to outrun it (`NoisyContentEmbedding`).
    """

    name = "noise"

    def content_table(self, num_samples, content_dim, noise_std, content_decay, seed):
        return NoisyContentEmbedding(
            num_samples,
            content_dim,
            noise_std=noise_std,
            decay=content_decay,
            seed=seed,
            dtype="float32",
            name="content_embedding",
        )
