"""The JAX side of the row-wise training step, and the convolution forms XLA runs best.

Table rows are read and written with `keras.ops` (`generic`).
"""

import contextlib

import jax
import jax.numpy as jnp
import keras
import numpy as np
from jax.experimental import multihost_utils

from keras_lord.backend import keras_compat
from keras_lord.backend.generic import fit_inputs, gather_rows, scatter_rows
from keras_lord.optimizers.loss_scaling import loss_scale_of, scaled_step
from keras_lord.utils.accelerators import capability_of, computes_bfloat16


def accelerator_names() -> list:
    """The accelerators JAX computes on, e.g. `["gpu:NVIDIA H100 80GB HBM3"]`.

    Returns:
        One `platform:kind` per device; empty where JAX computes on the CPU.

    """
    return [
        f"{device.platform}:{device.device_kind}"
        for device in jax.devices()
        if device.platform != "cpu"
    ]


def accelerator_bfloat16() -> bool | None:
    """Whether the accelerators JAX computes on compute bfloat16 natively.

    Returns:
        `None` where JAX computes on the CPU; otherwise whether every device does
        (`keras_lord.utils.accelerators.computes_bfloat16`).

    """
    devices = jax.devices()
    if all(device.platform == "cpu" for device in devices):
        return None
    return all(
        computes_bfloat16(
            device.platform, capability_of(getattr(device, "compute_capability", None))
        )
        for device in devices
    )


def check_rowwise_supported() -> None:
    """Row-wise updates run under JAX on any `keras.distribution` (nothing to check)."""


def compiled_train_step(trainer, batch) -> str:
    """The program XLA compiles for one training step on `batch`, under the distribution set.

    Compiled as Keras' JAX trainer compiles its step (the state's shardings as its output
    shardings), so the collectives in it are those each step of `fit` runs.

    Args:
        trainer: a compiled `LordTrainer`.
        batch: one global batch as `fit` feeds it (a dict of arrays).

    Returns:
        The optimised HLO text.

    """
    if not trainer.built or trainer.optimizer is None or not trainer.optimizer.built:
        keras_compat.built_for_batch(trainer, batch)
    state, shardings = keras_compat.jax_training_state(trainer)
    out_shardings = None if shardings is None else (None, shardings)
    step = jax.jit(trainer.train_step, out_shardings=out_shardings)
    return step.lower(state, keras_compat.distributed_batch(batch)).compile().as_text()


def _state_values(variables, references, values):
    # The values in `values` (a state list of `references`) of each of `variables`.
    index = {id(reference): position for position, reference in enumerate(references)}
    return [values[index[id(variable)]] for variable in variables]


def _updated_state(references, values, update):
    # `values` after `update()` ran on `references` in a stateless scope.
    with keras.StatelessScope(state_mapping=list(zip(references, values))) as scope:
        update()
    return [
        value if scope.get_current_value(reference) is None else scope.get_current_value(reference)
        for reference, value in zip(references, values)
    ]


def row_gradient_train_step(trainer, state, data):
    """The body of `train_step` that differentiates the batch's table rows (stateless).

    As Keras' JAX `train_step`: takes and returns the state tuple. The rows are gathered
    before `jax.value_and_grad`, which differentiates with respect to the trainable weights
    and the rows; the row gradients go to the tables' row-wise Adam inside a
    `StatelessScope`, whose writes are folded back into the returned state.

    Args:
        trainer: a `LordTrainer` in stage 1 with row-wise table updates.
        state: `(trainable, non_trainable, optimizer_variables, metrics_variables)`.
        data: the batch.

    Returns:
        `(logs, state)`.

    """
    trainable, non_trainable, optimizer_variables, metrics_variables = state
    x, y, sample_weight = keras_compat.unpack_x_y_sample_weight(data)
    with keras.StatelessScope(
        state_mapping=list(zip(trainer.non_trainable_variables, non_trainable))
    ):
        rows = trainer.tables.gather(x)

    def loss_of(trainable, rows):
        return trainer.compute_loss_and_updates(
            trainable,
            non_trainable,
            metrics_variables,
            {**x, **rows},
            y,
            sample_weight,
            training=True,
            optimizer_variables=optimizer_variables,
        )

    (_, aux), (gradients, row_gradients) = jax.value_and_grad(
        loss_of, argnums=(0, 1), has_aux=True
    )(trainable, rows)
    unscaled_loss, y_pred, non_trainable, metrics_variables = aux
    apply = None
    scale = loss_scale_of(trainer.optimizer, trainer.trainable_variables)
    if scale is not None:
        # The scale of this step: read before the optimiser's step updates it.
        (scale,) = _state_values([scale], trainer.optimizer.variables, optimizer_variables)
        gradients, row_gradients, apply = scaled_step(gradients, row_gradients, scale)
    trainable, optimizer_variables = trainer.optimizer.stateless_apply(
        optimizer_variables, gradients, trainable
    )

    values = _updated_state(
        trainer.non_trainable_variables + trainer.optimizer.variables,
        list(non_trainable) + list(optimizer_variables),
        lambda: trainer.table_optimizer.apply_rows(
            trainer.tables.row_updates(x, row_gradients), apply
        ),
    )
    non_trainable = values[: len(non_trainable)]
    optimizer_variables = values[len(non_trainable) :]

    logs, metrics_variables = keras_compat.update_metrics_variables(
        trainer, metrics_variables, unscaled_loss, x, y, y_pred, sample_weight
    )
    return logs, (trainable, non_trainable, optimizer_variables, metrics_variables)


def adversarial_train_step(trainer, state, data):
    """The body of `train_step` of the adversarial synthesis stage (stateless).

    The generator and encoders' loss (`trainer.compute_loss`, adversarial term included) is
    differentiated as in Keras' own step; the discriminator's loss
    (`objective.critic_loss`, on the step's reconstructions without gradient, with the R1
    penalty on the steps `objective.r1_due` picks, chosen by `lax.cond` so that other steps
    skip its second derivative) is differentiated with respect to the discriminator's
    weights. One optimiser update applies both.

    Args:
        trainer: a `LordTrainer` in the synthesis stage.
        state: `(trainable, non_trainable, optimizer_variables, metrics_variables)`.
        data: the batch.

    Returns:
        `(logs, state)`.

    """
    trainable, non_trainable, optimizer_variables, metrics_variables = state
    x, y, sample_weight = keras_compat.unpack_x_y_sample_weight(data)
    (_, aux), gradients = jax.value_and_grad(trainer.compute_loss_and_updates, has_aux=True)(
        trainable,
        non_trainable,
        metrics_variables,
        x,
        y,
        sample_weight,
        training=True,
        optimizer_variables=optimizer_variables,
    )
    unscaled_loss, y_pred, non_trainable, metrics_variables = aux

    objective = trainer.objective
    critic_variables = trainer.discriminator.trainable_variables
    real_images, fake_images = objective.critic_images(x, y_pred)

    scale = loss_scale_of(trainer.optimizer, trainer.trainable_variables)
    if scale is not None:
        (scale,) = _state_values([scale], trainer.optimizer.variables, optimizer_variables)

    def critic_loss(values, with_r1):
        with keras.StatelessScope(state_mapping=list(zip(critic_variables, values))):
            loss, terms = objective.critic_loss(trainer, real_images, fake_images, with_r1)
        # Scaled as the generator's loss is: the optimiser divides all gradients by it.
        return (loss if scale is None else loss * scale.astype(loss.dtype)), terms

    def critic_gradients(with_r1):
        def gradients_of(values):
            (_, terms), critic_gradients = jax.value_and_grad(critic_loss, has_aux=True)(
                values, with_r1
            )
            return critic_gradients, terms

        return gradients_of

    critic_values = _state_values(critic_variables, trainer.trainable_variables, trainable)
    (iterations,) = _state_values(
        [trainer.optimizer.iterations], trainer.optimizer.variables, optimizer_variables
    )
    with_r1 = objective.r1_due(trainer, iterations)
    critic_gradient_values, terms = jax.lax.cond(
        with_r1, critic_gradients(True), critic_gradients(False), critic_values
    )
    positions = {id(variable): index for index, variable in enumerate(critic_variables)}
    gradients = [
        critic_gradient_values[positions[id(variable)]] if id(variable) in positions else gradient
        for variable, gradient in zip(trainer.trainable_variables, gradients)
    ]
    trainable, optimizer_variables = trainer.optimizer.stateless_apply(
        optimizer_variables, gradients, trainable
    )
    metrics_variables = _updated_state(
        trainer.metrics_variables,
        metrics_variables,
        lambda: objective.track_critic(terms, with_r1),
    )
    logs, metrics_variables = keras_compat.update_metrics_variables(
        trainer, metrics_variables, unscaled_loss, x, y, y_pred, sample_weight
    )
    return logs, (trainable, non_trainable, optimizer_variables, metrics_variables)


def squared_input_gradient_norms(function, inputs):
    """Per sample, the squared norm of the gradient of a scalar function of a batch.

    Args:
        function: from the `(batch, ...)` inputs to a scalar (e.g. the sum of logits).
        inputs: the batch.

    Returns:
        `(batch,)` float32 sums of squared partial derivatives; differentiable again.

    """
    gradients = jax.grad(function)(inputs).astype("float32")
    return jnp.sum(jnp.square(gradients), axis=tuple(range(1, gradients.ndim)))


def overhanging_kernels_as_matmul() -> bool:
    """Whether a "same" convolution whose kernel is wider than its map runs as one matmul.

    Returns:
        `True`: XLA's CPU compiler turns a convolution whose kernel is larger than its
        input into a naive loop, many times slower than a matmul of the same size
        (`docs/performance.md`), so `keras_lord.layers.PatchMatmulConv2D` multiplies the
        patches of such maps with the flattened kernel instead.

    Example:
    ```python
    print(keras_lord.backend.overhanging_kernels_as_matmul())
    ```

    """
    return True


def jaxlib_compiles_convolutions() -> bool:
    """Whether jaxlib's XLA compiles the networks' convolutions, so that its flags apply.

    Returns:
        `True`: under JAX every convolution is compiled by jaxlib's XLA, which reads
        `XLA_FLAGS` once, when JAX starts its first backend
        (`keras_lord.utils.cpu.prefer_xla_eigen_convolutions`).

    Example:
    ```python
    print(keras_lord.backend.jaxlib_compiles_convolutions())
    ```

    """
    return True


__all__ = [
    "accelerator_bfloat16",
    "accelerator_names",
    "adversarial_train_step",
    "check_rowwise_supported",
    "compiled_train_step",
    "fit_inputs",
    "gather_rows",
    "jaxlib_compiles_convolutions",
    "overhanging_kernels_as_matmul",
    "row_gradient_train_step",
    "scatter_rows",
    "squared_input_gradient_norms",
]


def process_index() -> int:
    """The index of the running process among those training together (`jax.process_index`).

    Returns:
        0 for the first process (or the only one).

    """
    return jax.process_index()


def values_of_processes(value: int) -> list:
    """The value each process training together holds, in process order.

    Every process must call this (it is a collective when there are several).

    Args:
        value: this process's value, a whole number.

    Returns:
        One whole number per process.

    """
    if jax.process_count() == 1:
        return [value]
    return [int(v) for v in multihost_utils.process_allgather(np.int32(value))]


def wait_for_processes(name: str) -> None:
    """Returns once every process training together has called it with `name`.

    Args:
        name: what the processes wait for, the same on all of them.

    """
    if jax.process_count() > 1:
        multihost_utils.sync_global_devices(name)


def checkpoint_restore_targets(variables) -> list:
    """What Orbax restores each variable as: an array of its shape, dtype and layout.

    Restored onto the variables' own shardings, a checkpoint written on one layout of
    devices and processes resumes on any other.

    Args:
        variables: the variables to restore.

    Returns:
        One `jax.ShapeDtypeStruct` per variable.

    """
    return [jax.ShapeDtypeStruct(v.shape, v.dtype, sharding=v.value.sharding) for v in variables]


@contextlib.contextmanager
def held_whole(variables):
    """Within it, every process holds each of `variables` whole, so that Keras can save them.

    A table whose rows are split over the devices of several processes cannot be read into
    one process's memory; within this context it is laid out whole on every device (one
    collective, each process calling it), and afterwards split again as before. The
    distribution is unset within, too: Keras' saving builds variables of its own (a blank
    optimiser), which under a distribution of several processes would wait for the others.

    Args:
        variables: the variables about to be read.

    Yields:
        Nothing.

    """
    if jax.process_count() == 1:
        yield
        return
    replaced = []
    for variable in variables:
        value = variable.value
        if value.is_fully_addressable or value.is_fully_replicated:
            continue
        whole = jax.sharding.NamedSharding(value.sharding.mesh, jax.sharding.PartitionSpec())
        copy = jax.jit(lambda x: x, out_shardings=whole)(value)
        replaced.append((variable, keras_compat.replace_variable_value(variable, copy)))
    distribution = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(distribution)
        for variable, value in replaced:
            keras_compat.replace_variable_value(variable, value)


@contextlib.contextmanager
def held_on_this_process(variables):
    """Within it, this process computes with `variables` alone, as a single process would.

    Under a distribution of several processes, Keras' `predict` cannot gather outputs that
    lie on other processes' devices, and a table split over them cannot be read. Within
    this context each process holds every one of `variables` whole on one of its own
    devices (tables split over processes are first made whole: one collective, each process
    calling it with the same variables), no distribution is set, and whatever Keras assigns
    to them stays on that device; afterwards they are as before. Each process then
    computes the same thing on its own: for grids and evaluations, not for training.

    Args:
        variables: the variables the computation reads.

    Yields:
        Nothing.

    """
    if jax.process_count() == 1:
        yield
        return
    with held_whole(variables):
        replaced = []
        for variable in variables:
            value = variable.value
            if value.is_fully_addressable:
                continue
            # Whole on every device now (`held_whole`): one of this process's copies, copied
            # again, for Keras' `predict` donates the buffers of the state it is given.
            local = jnp.array(value.addressable_data(0), copy=True)
            replaced.append(
                (
                    variable,
                    keras_compat.replace_variable_value(variable, local),
                    keras_compat.replace_variable_layout(variable, None),
                )
            )
        try:
            yield
        finally:
            for variable, value, layout in replaced:
                keras_compat.replace_variable_value(variable, value)
                keras_compat.replace_variable_layout(variable, layout)
