"""Every use of private Keras API in keras-lord, in one place.

Keras has no public hooks for a few things keras-lord needs: a training step that
differentiates gathered table rows has to reproduce the loss and metric bookkeeping of
Keras' own `train_step`; row-wise Adam reads Adam's moment slots; a resumed `fit` starts at
a later epoch; a checkpoint is built in memory before it is written. Each helper here wraps
one such private name, and `tests/backend/test_keras_compat.py` checks each against the installed
Keras, so that a Keras release that renames one fails there, loudly, rather than deep in a
training run. `pyproject.toml` bounds keras to the releases these tests passed on.
"""

import io

import keras
from keras.src.saving import saving_lib
from keras.src.trainers.data_adapters import data_adapter_utils


def unpack_x_y_sample_weight(data):
    """Splits a batch into `(x, y, sample_weight)` as Keras' `train_step` does.

    Args:
        data: a batch as the data adapter yields it (`x`, or a tuple of 1 to 3 parts).

    Returns:
        `(x, y, sample_weight)`, with `None` for absent parts.

    """
    return data_adapter_utils.unpack_x_y_sample_weight(data)


def tracked_loss(model: keras.Model, x, y, y_pred, sample_weight, batch_size):
    """The training loss as Keras' `train_step` computes and tracks it.

    Calls the model's `compute_loss` through Keras' wrapper (which also adds the losses of
    its layers when `compute_loss` is not overridden) and updates the `loss` tracker, so the
    progress bar and `History` show the same `loss` as with Keras' own step.

    Args:
        model: the model being trained.
        x: the inputs.
        y: the targets.
        y_pred: the model's outputs.
        sample_weight: per-sample weights, or `None`.
        batch_size: the batch's size, the weight of this loss in the running mean.

    Returns:
        The scalar loss.

    """
    loss = model._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
    model._loss_tracker.update_state(loss, sample_weight=batch_size)
    return loss


def update_metrics_variables(model: keras.Model, metrics_variables, loss, x, y, y_pred, weight):
    """JAX: updates the metrics' state statelessly, as Keras' JAX `train_step` does.

    Args:
        model: the model being trained.
        metrics_variables: the current values of `model.metrics_variables`.
        loss: the unscaled loss.
        x: the inputs.
        y: the targets.
        y_pred: the model's outputs.
        weight: per-sample weights, or `None`.

    Returns:
        `(logs, metrics_variables)`.

    """
    return model._update_metrics_variables(metrics_variables, loss, x, y, y_pred, weight)


def adam_slots(optimizer: keras.optimizers.Adam, variable) -> tuple:
    """Adam's first- and second-moment variables of one variable it was built with.

    Args:
        optimizer: a built `keras.optimizers.Adam` (or subclass).
        variable: one of the variables it was built with.

    Returns:
        `(momentum, velocity)`.

    Raises:
        KeyError: if the optimizer was not built with `variable`.

    """
    index = optimizer._get_variable_index(variable)
    return optimizer._momentums[index], optimizer._velocities[index]


def current_learning_rate(optimizer: keras.optimizers.Optimizer):
    """The optimizer's learning rate at its current iteration, as a tensor.

    Args:
        optimizer: any Keras optimizer.

    Returns:
        A scalar tensor (the schedule's value where the rate is a schedule).

    """
    return optimizer._get_current_learning_rate()


def set_initial_epoch(model: keras.Model, epoch: int | None) -> None:
    """Makes the `fit` that is starting begin at `epoch` (`None`: at `initial_epoch`).

    `keras.callbacks.BackupAndRestore` resumes the same way.

    Args:
        model: the model whose `fit` is starting.
        epoch: epochs already done.

    """
    model._initial_epoch = epoch


def replace_variable_value(variable: keras.Variable, value):
    """Puts `value` into a JAX variable as it is, bypassing its layout; returns the old value.

    `assign` would lay the value out as the variable's layout says; saving needs it laid
    out otherwise for a while (`keras_lord.backend.held_whole`).
    """
    old = variable._value
    variable._value = value
    return old


def replace_variable_layout(variable: keras.Variable, layout):
    """Sets the layout a JAX variable lays assigned values out by; returns the old one.

    `None` keeps assigned values where they are: a process computing alone with its own
    copy of a variable of several processes (`keras_lord.backend.held_on_this_process`)
    must not have Keras' `predict` put its results back on the devices of all of them.
    """
    old = variable._layout
    variable._layout = layout
    return old


def weights_file_bytes(model: keras.Model) -> bytes:
    """The content of the file `model.save_weights` writes, built in memory.

    Written to disk by keras-lord itself, a full disk is one `OSError` of a plain write.
    HDF5 writing to a file on a full disk fails as well, but keeps the file open, and the
    process crashes with a segmentation fault when it exits.

    Args:
        model: a built model.

    Returns:
        The bytes of a `.weights.h5` file, which `model.load_weights` reads.

    """
    buffer = io.BytesIO()
    store = saving_lib.H5IOStore(buffer, mode="w")
    saving_lib._save_state(
        model, weights_store=store, assets_store=None, inner_path="", visited_saveables=set()
    )
    store.close()
    return buffer.getvalue()


def flatten_layers(model: keras.Model) -> list:
    """Every layer nested in a model, itself included (for the FLOP counts).

    Args:
        model: a Keras model.

    Returns:
        The layers, outermost first.

    """
    return list(model._flatten_layers())


def built_for_batch(model: keras.Model, batch) -> None:
    """Builds a compiled model's weights and optimiser for a batch, as `fit` does first.

    Args:
        model: a compiled model.
        batch: one batch of its training input.

    """
    model._symbolic_build(data_batch=(batch, None, None))


def jax_training_state(model: keras.Model) -> tuple:
    """The state tuple Keras' JAX `train_step` takes, and its shardings.

    Args:
        model: a built, compiled model under the JAX backend.

    Returns:
        `(state, state_shardings)`; the shardings are `None` without a distribution.

    """
    from keras.src.distribution import distribution_lib

    state = model._get_jax_state(
        trainable_variables=True,
        non_trainable_variables=True,
        optimizer_variables=True,
        metrics_variables=True,
    )
    shardings = None
    if distribution_lib.distribution() is not None:
        shardings = model._get_state_sharding_spec()
    return state, shardings


def distributed_batch(batch):
    """A batch placed as Keras' JAX trainer places it under the current distribution.

    Args:
        batch: a dict of arrays (one process's rows of a global batch).

    Returns:
        The `(x, y, sample_weight)` Keras' JAX `train_step` receives.

    """
    from keras.src.backend.jax.trainer import _distribute_data

    return _distribute_data((batch, None, None))


@keras.saving.register_keras_serializable(package="keras_lord")
class SelfSavingMultiOptimizer(keras.optimizers.MultiOptimizer):
    """A `keras.optimizers.MultiOptimizer` whose file entry holds its own counters only.

    Keras' `MultiOptimizer` writes its sub-optimizers' variables into its own entry and again
    under each sub-optimizer, doubling the tables' Adam state in every file. This one keeps
    only its own variables; the sub-optimizers save theirs.

    Args:
        optimizer_map: a `keras.optimizers.OptimizerMap`.
        **kwargs: other `MultiOptimizer` arguments.

    """

    def save_own_variables(self, store):
        for index, variable in enumerate(self._variables):
            store[str(index)] = keras.ops.convert_to_numpy(variable)

    def load_own_variables(self, store):
        for index, variable in enumerate(self._variables):
            variable.assign(store[str(index)])
