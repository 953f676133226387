import keras
from keras import ops

from keras_lord import backend
from keras_lord.backend import keras_compat


@keras.saving.register_keras_serializable(package="keras_lord")
class RowwiseAdam(keras.optimizers.Adam):
    """Adam for embedding tables that updates only the rows a batch looks up.

    Dense Adam updates every row of a table at every step: rows outside the batch get a
    zero gradient, their moments decay, and their values keep moving on the remaining
    first moment. Each step then costs time proportional to the whole table, and a row's
    effective step depends on how many steps pass between its visits, that is, on the
    dataset size. Row-wise ("lazy") Adam updates the value, first moment and second moment
    of the looked-up rows only; other rows are left exactly as they are. Bias correction
    uses the global step count, as in Adam. The optimiser state is the same as Adam's:
    two float32 numbers per table entry (`2 * rows * dim * 4` bytes).

    `apply_rows` is the fast path used by `LordTrainer`: it takes the gradients of the
    gathered rows and costs time proportional to the batch. As a regular Keras optimiser
    (`apply`, `apply_gradients`) it receives dense gradients and updates the rows whose
    gradient is not all zero, with the same result at dense cost.

    Args:
        learning_rate: a float or a `keras.optimizers.schedules.LearningRateSchedule`.
        beta_1: first-moment decay.
        beta_2: second-moment decay.
        epsilon: added to the square root of the second moment.
        name: optimiser name.
        **kwargs: other `keras.optimizers.Optimizer` arguments.

    Example:
    ```python
    table = keras.Variable(np.zeros((1000, 8), "float32"))
    optimizer = keras_lord.optimizers.RowwiseAdam(learning_rate=1e-2)
    optimizer.build([table])
    optimizer.apply_rows([(table, np.array([3, 7]), np.ones((2, 8), "float32"))])
    # Only rows 3 and 7 changed.
    ```

    """

    def __init__(
        self,
        learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        name: str = "rowwise_adam",
        **kwargs,
    ):
        kwargs.pop("amsgrad", None)
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=False,
            name=name,
            **kwargs,
        )

    def apply_rows(self, row_gradients: list, apply=None) -> None:
        """Applies one step to the looked-up rows of one or more tables.

        Args:
            row_gradients: list of `(table, row_ids, gradients)`: a variable this optimiser
                was built with, the `(batch,)` integer rows that were looked up, and the
                `(batch, dim)` gradients of the looked-up rows. A row looked up several
                times receives the sum of its gradients, as in dense autodiff.
            apply: `None` to apply the step, or a boolean scalar (a tensor in a compiled
                step) that skips it where false: the rows, their moments and the step
                count stay as they are (a loss-scaled step whose gradients overflowed,
                `keras_lord.optimizers.loss_scaling`).

        Raises:
            ValueError: if the optimiser was not built with a table.

        """
        learning_rate = keras_compat.current_learning_rate(self)
        for table, row_ids, gradients in row_gradients:
            self._update_rows(table, ops.cast(row_ids, "int32"), gradients, learning_rate, apply)
        self.iterations.assign_add(1 if apply is None else ops.cast(apply, self.iterations.dtype))

    def update_step(self, gradient, variable, learning_rate):
        # Dense gradients (the generic Keras path): rows with an all-zero gradient were
        # not looked up and stay as they are.
        if len(variable.shape) != 2:
            return super().update_step(gradient, variable, learning_rate)
        touched = ops.any(ops.not_equal(gradient, 0), axis=-1, keepdims=True)
        targets = (variable, *keras_compat.adam_slots(self, variable))
        current = [ops.convert_to_tensor(target) for target in targets]
        updated = self._adam_rows(*current, gradient, learning_rate, variable)
        for target, old, new in zip(targets, current, updated):
            self.assign(target, ops.where(touched, new, old))

    def _update_rows(self, table, row_ids, gradients, learning_rate, apply):
        try:
            momentum, velocity = keras_compat.adam_slots(self, table)
        except KeyError:
            raise ValueError(
                f"RowwiseAdam was not built with the table {table.path}; call "
                "`optimizer.build(tables)` first."
            ) from None
        gradients = _sum_duplicate_rows(row_ids, ops.cast(gradients, table.dtype))
        targets = (table, momentum, velocity)
        current = [backend.gather_rows(target, row_ids) for target in targets]
        updated = self._adam_rows(*current, gradients, learning_rate, table)
        if apply is not None:
            # Chosen per row of the batch, not per table: a skipped step costs what a step does.
            updated = [ops.where(apply, new, old) for new, old in zip(updated, current)]
        new_value, new_momentum, new_velocity = updated
        updates = ((momentum, new_momentum), (velocity, new_velocity), (table, new_value))
        for variable, rows in updates:
            backend.scatter_rows(self, variable, row_ids, rows)

    def _adam_rows(self, value, momentum, velocity, gradient, learning_rate, variable):
        dtype = variable.dtype
        step = ops.cast(self.iterations + 1, dtype)
        alpha = (
            ops.cast(learning_rate, dtype)
            * ops.sqrt(1 - ops.power(ops.cast(self.beta_2, dtype), step))
            / (1 - ops.power(ops.cast(self.beta_1, dtype), step))
        )
        new_momentum = momentum + (gradient - momentum) * (1 - self.beta_1)
        new_velocity = velocity + (ops.square(gradient) - velocity) * (1 - self.beta_2)
        new_value = value - alpha * new_momentum / (ops.sqrt(new_velocity) + self.epsilon)
        return new_value, new_momentum, new_velocity

    def get_config(self):
        config = super().get_config()
        config.pop("amsgrad", None)
        return config


def _sum_duplicate_rows(row_ids, gradients):
    """Gives every position the summed gradient of its row, identical across duplicates."""
    batch = ops.shape(row_ids)[0]
    same_row = ops.equal(ops.expand_dims(row_ids, 1), ops.expand_dims(row_ids, 0))
    # Every duplicate of a row points at the first occurrence, so all of them read back
    # the very same sum and the scatter writes one value whatever the order.
    first_occurrence = ops.argmax(ops.cast(same_row, "int32"), axis=1)
    sums = ops.segment_sum(gradients, first_occurrence, num_segments=batch)
    return ops.take(sums, first_occurrence, axis=0)
