"""LORD's optimisers: Adam for the networks, a 10x faster Adam for the latent tables."""

import re

import keras

from keras_lord.backend.keras_compat import SelfSavingMultiOptimizer
from keras_lord.optimizers.rowwise_adam import RowwiseAdam
from keras_lord.trainers.latent_learning_rate import AUTO, REFERENCE_RATE
from keras_lord.trainers.schedules import FitLengthCosineDecay

TABLE_UPDATES = ("rowwise", "dense")
NETWORK_OPTIMIZER = "network_adam"
TABLE_OPTIMIZER = "latent_adam"
GENERATOR_OPTIMIZER = "generator_adam"


def build_optimizer(tables, settings, generator=None) -> tuple:
    """The optimiser of a LORD stage and the schedules `fit` sets the length of.

    Args:
        tables: the trainer's `FactorTables`; their variables get the table optimiser.
        generator: the generator, whose variables get an optimiser of their own when
            `settings.generator_rate_factor` is neither 0 nor 1.
        settings: the stage's `CompileSettings`: `optimizer` (`"auto"` for Adam on a cosine
            decay from `learning_rate`, the reference's settings, or a Keras optimizer,
            instance or name, for the networks), `latent_learning_rate` (the tables';
            `"auto"` starts at the reference rate until `fit` sets it), `final_learning_rate`,
            `beta_1`, `beta_2`, `decay_steps` (`None` lets `fit` set it) and
            `table_updates` (`"rowwise"`: `RowwiseAdam` on the batch's rows; `"dense"`).

    Returns:
        `(optimizer, table_optimizer, schedules, table_schedule)`: a
        `keras.optimizers.MultiOptimizer` that sends the tables' variables to
        `table_optimizer` and the rest to the network optimiser, the `FitLengthCosineDecay`
        schedules it uses, and the tables' own among them.

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
    latent_rate = settings.latent_learning_rate
    table_schedule = cosine(REFERENCE_RATE if latent_rate == AUTO else latent_rate)
    table_optimizer = table_adam(table_schedule, beta_1=beta_1, beta_2=beta_2, name=TABLE_OPTIMIZER)
    optimizers = {tables.variable_pattern: table_optimizer}
    factor = settings.generator_rate_factor
    if generator is not None and factor not in (0.0, 1.0):
        if not isinstance(settings.optimizer, str) or settings.optimizer != "auto":
            raise ValueError(
                '`generator_rate_factor` other than 0 or 1 needs `optimizer="auto"`; got '
                f"{settings.optimizer!r}."
            )
        # Keras matches a variable's path, which names its layer but not the generator.
        paths = "|".join(re.escape(variable.path) for variable in generator.variables)
        optimizers[f"({paths})"] = keras.optimizers.Adam(
            cosine(settings.learning_rate * factor),
            beta_1=beta_1,
            beta_2=beta_2,
            name=GENERATOR_OPTIMIZER,
        )
    optimizer = SelfSavingMultiOptimizer(
        keras.optimizers.OptimizerMap(network_optimizer, optimizers)
    )
    return optimizer, table_optimizer, tuple(schedules), table_schedule
