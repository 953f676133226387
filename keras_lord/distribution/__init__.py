"""Training on several devices and hosts with Keras' own distribution API (JAX).

A user sets a `keras.distribution` distribution before building the trainer, as for any
Keras model; keras-lord adds the layout that splits its latent tables by rows
(`layout_map`), feeds each process its slice of every global batch (`current_batch_split`),
states what a step communicates (`step_communication`), and, for several processes, says
which one writes files and stops all of them together when a check fails on one
(`is_first_process`, `together`, `check_same_on_every_process`). `DISTRIBUTION_CHOICES`
holds the distributions `keras-lord train --distribution` sets up.
"""

from keras_lord.data.batch_split import BatchSplit, current_batch_split
from keras_lord.distribution.choices import DISTRIBUTION_CHOICES
from keras_lord.distribution.communication import (
    Collective,
    parse_collectives,
    step_communication,
)
from keras_lord.distribution.layouts import BATCH_AXIS, MODEL_AXIS, layout_map
from keras_lord.distribution.processes import (
    check_same_on_every_process,
    is_first_process,
    together,
)

__all__ = [
    "BATCH_AXIS",
    "MODEL_AXIS",
    "BatchSplit",
    "DISTRIBUTION_CHOICES",
    "Collective",
    "check_same_on_every_process",
    "current_batch_split",
    "is_first_process",
    "layout_map",
    "parse_collectives",
    "step_communication",
    "together",
]
