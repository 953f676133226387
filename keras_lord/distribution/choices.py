"""The distributions `keras-lord train --distribution NAME` sets up on all local devices."""

import keras

from keras_lord.distribution.layouts import BATCH_AXIS, layout_map
from keras_lord.utils.registry import Registry

DISTRIBUTION_CHOICES = Registry("distribution", "--distribution")


@DISTRIBUTION_CHOICES.register
class DataParallelChoice:
    """`keras.distribution.DataParallel`: all weights and tables on every device.

    Each device trains on its share of each batch.
    """

    name = "data"

    @staticmethod
    def make(devices: list) -> "keras.distribution.Distribution":
        """The distribution over `devices` (e.g. `keras.distribution.list_devices()`)."""
        return keras.distribution.DataParallel(devices=devices)


@DISTRIBUTION_CHOICES.register
class RowShardedChoice:
    """`keras.distribution.ModelParallel` on a one-axis mesh, the content table split by rows.

    Each device trains on its share of each batch, as with `data`, and keeps only its
    share of the content table's rows and their Adam slots: for tables larger than one
    device's memory.
    """

    name = "model"

    @staticmethod
    def make(devices: list) -> "keras.distribution.Distribution":
        """The distribution over `devices` (e.g. `keras.distribution.list_devices()`)."""
        mesh = keras.distribution.DeviceMesh((len(devices),), (BATCH_AXIS,), devices)
        return keras.distribution.ModelParallel(
            layout_map=layout_map(mesh, model_axis=BATCH_AXIS), batch_dim_name=BATCH_AXIS
        )
