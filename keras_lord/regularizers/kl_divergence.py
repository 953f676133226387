"""The paper's Table 3 ablation: a learned variance per code and a KL term to N(0, 1)."""

from keras_lord.layers.variational_content_embedding import VariationalContentEmbedding
from keras_lord.regularizers.base import ContentRegularizer


class KLDivergence(ContentRegularizer):
    """A variational content table: learned means and variances, a KL divergence to N(0, 1).

    The KL term has the weight `content_decay`; `noise_std` is unused (the variances are
    learned). It keeps a variance per row of the content table, so it needs codes that
    are table rows (`VariationalContentEmbedding`).
    """

    name = "kl"
    needs_table_rows = True

    def content_table(self, num_samples, content_dim, noise_std, content_decay, seed):
        return VariationalContentEmbedding(
            num_samples,
            content_dim,
            decay=content_decay,
            seed=seed,
            dtype="float32",
            name="content_embedding",
        )
