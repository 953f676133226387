"""LORD's networks and the deployable model that holds them."""

from keras_lord.models.lord_discriminator import LordDiscriminator
from keras_lord.models.lord_encoder import LordEncoder
from keras_lord.models.lord_generator import LordGenerator
from keras_lord.models.lord_model import LordModel

__all__ = ["LordDiscriminator", "LordEncoder", "LordGenerator", "LordModel"]
