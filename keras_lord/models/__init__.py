"""LORD's networks."""

from keras_lord.models.lord_encoder import LordEncoder
from keras_lord.models.lord_generator import LordGenerator

__all__ = ["LordEncoder", "LordGenerator"]
