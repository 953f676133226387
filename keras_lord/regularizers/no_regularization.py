"""The paper's Table 3 ablation without a content regulariser: no noise and no penalty."""

from keras_lord.regularizers.fixed_noise import FixedNoise


class NoRegularization(FixedNoise):
    """Content codes left unregularised: the fixed-noise table with noise and penalty at 0."""

    name = "none"

    def strengths(self, noise_std, content_decay):
        return 0.0, 0.0
