"""The JAX side of the row-wise training step, and the convolution forms XLA runs best.

Table rows are read and written with `keras.ops` (`generic`).
"""

import jax
import keras

from keras_lord.backend import keras_compat
from keras_lord.backend.generic import fit_inputs, gather_rows, scatter_rows


def check_rowwise_supported() -> None:
    """Row-wise updates run under JAX (tested on one device; nothing to check)."""


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
    trainable, optimizer_variables = trainer.optimizer.stateless_apply(
        optimizer_variables, gradients, trainable
    )

    references = trainer.non_trainable_variables + trainer.optimizer.variables
    values = list(non_trainable) + list(optimizer_variables)
    with keras.StatelessScope(state_mapping=list(zip(references, values))) as scope:
        trainer.table_optimizer.apply_rows(trainer.tables.row_updates(x, row_gradients))
    values = [
        value if scope.get_current_value(reference) is None else scope.get_current_value(reference)
        for reference, value in zip(references, values)
    ]
    non_trainable = values[: len(non_trainable)]
    optimizer_variables = values[len(non_trainable) :]

    logs, metrics_variables = keras_compat.update_metrics_variables(
        trainer, metrics_variables, unscaled_loss, x, y, y_pred, sample_weight
    )
    return logs, (trainable, non_trainable, optimizer_variables, metrics_variables)


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
    "check_rowwise_supported",
    "fit_inputs",
    "gather_rows",
    "jaxlib_compiles_convolutions",
    "overhanging_kernels_as_matmul",
    "row_gradient_train_step",
    "scatter_rows",
]
