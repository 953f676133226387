"""LORD's optimisers: Adam for the networks, a 10x faster Adam for the latent tables."""

import keras

from keras_lord.backend.keras_compat import SelfSavingMultiOptimizer
from keras_lord.optimizers.rowwise_adam import RowwiseAdam
from keras_lord.trainers.schedules import FitLengthCosineDecay

TABLE_UPDATES = ("rowwise", "dense")
NETWORK_OPTIMIZER = "network_adam"
TABLE_OPTIMIZER = "latent_adam"


def build_optimizer(tables, settings) -> tuple:
    """The optimiser of a LORD stage and the schedules `fit` sets the length of.

    Args:
        tables: the trainer's `FactorTables`; their variables get the table optimiser.
        settings: the stage's `CompileSettings`: `optimizer` (`"auto"` for Adam on a cosine
            decay from `learning_rate`, the reference's settings, or a Keras optimizer,
            instance or name, for the networks), `latent_learning_rate` (the tables'),
            `final_learning_rate`, `beta_1`, `beta_2`, `decay_steps` (`None` lets `fit`
            set it) and `table_updates` (`"rowwise"`: `RowwiseAdam` on the batch's rows;
            `"dense"`).

    Returns:
        `(optimizer, table_optimizer, schedules)`: a `keras.optimizers.MultiOptimizer` that
        sends the tables' variables to `table_optimizer` and the rest to the network
        optimiser, and the `FitLengthCosineDecay` schedules it uses.

    """
    schedules = []

    def cosine(initial):
        schedule = FitLengthCosineDecay(initial, settings.final_learning_rate, settings.decay_steps)
        schedules.append(schedule)
        return schedule

    beta_1, beta_2 = settings.beta_1, settings.beta_2
    network_optimizer = settings.optimizer
    if isinstance(network_optimizer, str) and network_optimizer == "auto":
        network_optimizer = keras.optimizers.Adam(
            cosine(settings.learning_rate), beta_1=beta_1, beta_2=beta_2, name=NETWORK_OPTIMIZER
        )
    else:
        network_optimizer = keras.optimizers.get(network_optimizer)
    table_adam = RowwiseAdam if settings.table_updates == "rowwise" else keras.optimizers.Adam
    table_optimizer = table_adam(
        cosine(settings.latent_learning_rate), beta_1=beta_1, beta_2=beta_2, name=TABLE_OPTIMIZER
    )
    optimizer = SelfSavingMultiOptimizer(
        keras.optimizers.OptimizerMap(network_optimizer, {tables.variable_pattern: table_optimizer})
    )
    return optimizer, table_optimizer, tuple(schedules)
