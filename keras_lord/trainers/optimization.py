"""LORD's optimisers: Adam for the networks, a 10x faster Adam for the latent tables."""

import keras

from keras_lord.backend.keras_compat import SelfSavingMultiOptimizer
from keras_lord.optimizers.rowwise_adam import RowwiseAdam
from keras_lord.trainers.schedules import FitLengthCosineDecay

TABLE_UPDATES = ("rowwise", "dense")
NETWORK_OPTIMIZER = "network_adam"
TABLE_OPTIMIZER = "latent_adam"


def build_optimizer(
    tables,
    network_optimizer: str | keras.optimizers.Optimizer,
    learning_rate: float,
    latent_learning_rate: float,
    final_learning_rate: float,
    beta_1: float,
    beta_2: float,
    decay_steps: int | None,
    table_updates: str,
) -> tuple:
    """The optimiser of a LORD stage and the schedules `fit` sets the length of.

    Args:
        tables: the trainer's `FactorTables`; their variables get the table optimiser.
        network_optimizer: `"auto"` for Adam on a cosine decay (the reference's settings),
            or a Keras optimizer (instance or name) for the networks.
        learning_rate: initial rate of the networks with `"auto"`.
        latent_learning_rate: initial rate of the tables.
        final_learning_rate: rate at the end of every decay.
        beta_1: Adam's first-moment decay.
        beta_2: Adam's second-moment decay.
        decay_steps: length of the decays; `None` lets `fit` set it.
        table_updates: `"rowwise"` (`RowwiseAdam` on the batch's rows) or `"dense"`.

    Returns:
        `(optimizer, table_optimizer, schedules)`: a `keras.optimizers.MultiOptimizer` that
        sends the tables' variables to `table_optimizer` and the rest to the network
        optimiser, and the `FitLengthCosineDecay` schedules it uses.

    """
    schedules = []

    def cosine(initial):
        schedule = FitLengthCosineDecay(initial, final_learning_rate, decay_steps)
        schedules.append(schedule)
        return schedule

    if isinstance(network_optimizer, str) and network_optimizer == "auto":
        network_optimizer = keras.optimizers.Adam(
            cosine(learning_rate), beta_1=beta_1, beta_2=beta_2, name=NETWORK_OPTIMIZER
        )
    else:
        network_optimizer = keras.optimizers.get(network_optimizer)
    table_adam = RowwiseAdam if table_updates == "rowwise" else keras.optimizers.Adam
    table_optimizer = table_adam(
        cosine(latent_learning_rate), beta_1=beta_1, beta_2=beta_2, name=TABLE_OPTIMIZER
    )
    optimizer = SelfSavingMultiOptimizer(
        keras.optimizers.OptimizerMap(network_optimizer, {tables.variable_pattern: table_optimizer})
    )
    return optimizer, table_optimizer, tuple(schedules)
