"""Training data: validation, the reference `.npz` layout and a synthetic dataset."""

from keras_lord.data.lord_data import LordData
from keras_lord.data.synthetic import SyntheticObjects
from keras_lord.data.validation import validate_ids, validate_images

__all__ = ["LordData", "SyntheticObjects", "validate_ids", "validate_images"]
