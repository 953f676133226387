"""Training data: the input contract, validation, the reference `.npz` layout, synthetic data."""

from keras_lord.data.augmentation import random_shift
from keras_lord.data.batch_split import BatchSplit, current_batch_split
from keras_lord.data.contract import (
    CLASS_ID_KEY,
    IMAGE_KEY,
    SAMPLE_ID_KEY,
    CheckedPyDataset,
    TrainingContract,
)
from keras_lord.data.epoch_batches import EpochBatches, epoch_order
from keras_lord.data.image_files import read_image_file
from keras_lord.data.lord_data import LordData
from keras_lord.data.pixels import to_uint8, unit_float, unit_float_tensor
from keras_lord.data.synthetic import SyntheticObjects
from keras_lord.data.synthetic_attributes import synthetic_attributes
from keras_lord.data.synthetic_domains import synthetic_domains
from keras_lord.data.validation import validate_ids, validate_images

__all__ = [
    "read_image_file",
    "BatchSplit",
    "CLASS_ID_KEY",
    "IMAGE_KEY",
    "SAMPLE_ID_KEY",
    "CheckedPyDataset",
    "EpochBatches",
    "LordData",
    "SyntheticObjects",
    "TrainingContract",
    "current_batch_split",
    "epoch_order",
    "random_shift",
    "synthetic_attributes",
    "synthetic_domains",
    "to_uint8",
    "unit_float",
    "unit_float_tensor",
    "validate_ids",
    "validate_images",
]
