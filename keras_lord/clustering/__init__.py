"""Style clusters within classes, for domain translation with in-class variation."""

from keras_lord.clustering.style_cluster_labeler import StyleClusterLabeler

__all__ = ["StyleClusterLabeler"]
