"""Row-wise table steps under loss scaling (mixed float16).

Under `precision="float16"` (or a global `mixed_float16` policy) the networks' optimiser is
a `keras.optimizers.LossScaleOptimizer`: the loss is multiplied by its dynamic scale before
differentiation, so that small float16 gradients do not vanish, and the optimiser divides
the gradients by the scale, skips the step and halves the scale when any is not finite.
The row gradients of the tables come from the same scaled loss but go to the tables' own
row-wise Adam, which knows nothing of the scale: `scaled_step` divides them too, and makes
the networks' and the tables' steps skip together.
"""

import keras
from keras import ops


def loss_scale_of(optimizer: keras.optimizers.Optimizer, variables: list):
    """The variable holding the factor a loss-scaled step multiplies its loss by.

    Args:
        optimizer: the networks' optimiser.
        variables: the variables it updates; it is built with them if it was not yet
            (a step reads its scale before the optimiser's first `apply` would build it).

    Returns:
        The `LossScaleOptimizer`'s `dynamic_scale` variable, or `None` where the loss is
        not scaled.

    Example:
    ```python
    scale = loss_scale_of(trainer.optimizer, trainer.trainable_weights)
    ```

    """
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        if not optimizer.built:
            optimizer.build(variables)
        return optimizer.dynamic_scale
    return None


def scaled_step(network_gradients: list, row_gradients: dict, scale) -> tuple:
    """The gradients of one step of a scaled loss, ready for the two optimisers.

    Args:
        network_gradients: the gradients of the networks' weights, for the
            `LossScaleOptimizer` (which divides them by the scale itself).
        row_gradients: the gradients of the gathered table rows, by table name.
        scale: the factor the loss was multiplied by in this step (the value of
            `loss_scale_of(optimizer)` before the optimiser applies the step).

    Returns:
        `(network_gradients, row_gradients, apply)`: the networks' gradients, made
        non-finite when a row gradient is not finite, so that the `LossScaleOptimizer`
        skips its step and lowers the scale then too; the row gradients divided by the
        scale; and `apply`, a boolean scalar, false when any gradient is not finite: give
        it to `RowwiseAdam.apply_rows`, which then leaves the rows as they are.

    Example:
    ```python
    network_gradients, row_gradients, apply = scaled_step(gradients, rows, scale)
    optimizer.apply(network_gradients, weights)
    table_optimizer.apply_rows(tables.row_updates(x, row_gradients), apply=apply)
    ```

    """
    everything = [g for g in network_gradients if g is not None] + list(row_gradients.values())
    apply = ops.all(ops.stack([ops.all(ops.isfinite(g)) for g in everything]))
    rows = {name: g / ops.cast(scale, g.dtype) for name, g in row_gradients.items()}
    # A NaN added to one network gradient is how the LossScaleOptimizer learns that a row
    # gradient overflowed: it is the one that decides to skip and to lower the scale.
    first = next(i for i, g in enumerate(network_gradients) if g is not None)
    poison = ops.where(apply, 0.0, float("nan"))
    network_gradients = list(network_gradients)
    gradient = network_gradients[first]
    network_gradients[first] = gradient + ops.cast(poison, gradient.dtype)
    return network_gradients, rows, apply
