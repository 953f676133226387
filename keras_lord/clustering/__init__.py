"""Style clusters within classes, for domain translation with in-class variation."""

from keras_lord.clustering.style_cluster_labeler import StyleClusterLabeler
from keras_lord.clustering.style_translator import StyleTranslator

__all__ = ["StyleClusterLabeler", "StyleTranslator"]
