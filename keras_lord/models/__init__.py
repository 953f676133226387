"""LORD's networks."""

from keras_lord.models.lord_generator import LordGenerator

__all__ = ["LordGenerator"]
