"""Training steps that differentiate the looked-up table rows instead of whole tables.

Keras' own `train_step` differentiates the loss with respect to every trainable variable;
for a latent table that is a dense gradient as large as the table (JAX), and an optimiser
step over every row. With row-wise table updates the tables are not trainable variables:
the step gathers the batch's rows outside of autodiff, passes them to the model as inputs,
differentiates with respect to the network weights and those rows, applies the network
gradients with the model's optimiser and the row gradients with `RowwiseAdam.apply_rows`.
Its cost does not depend on the number of rows.

This is the one place with backend-specific code: gradients are taken with
`tf.GradientTape` or `jax.value_and_grad`. Everything else is `keras.ops`.
"""

import keras
from keras.src.trainers.data_adapters import data_adapter_utils


def tensorflow_train_step(trainer, data):
    """A row-wise training step for the TensorFlow backend (the body of `train_step`)."""
    import tensorflow as tf

    x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
    rows = trainer.gather_table_rows(x)
    with tf.GradientTape() as tape:
        tape.watch(list(rows.values()))
        inputs = {**x, **rows}
        y_pred = trainer(inputs, training=True)
        loss = trainer._compute_loss(
            x=inputs, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True
        )
        trainer._loss_tracker.update_state(loss, sample_weight=tf.shape(x["image"])[0])
        loss = trainer.optimizer.scale_loss(loss)
    weights = trainer.trainable_weights
    gradients = tape.gradient(loss, weights + list(rows.values()))
    trainer.optimizer.apply(gradients[: len(weights)], weights)
    row_gradients = dict(zip(rows, gradients[len(weights) :]))
    trainer._rowwise_optimizer().apply_rows(trainer.row_updates(x, row_gradients))
    return trainer.compute_metrics(x, y, y_pred, sample_weight=sample_weight)


def jax_train_step(trainer, state, data):
    """A row-wise training step for the JAX backend (stateless, as Keras' JAX `train_step`)."""
    import jax

    trainable, non_trainable, optimizer_variables, metrics_variables = state
    x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
    with keras.StatelessScope(
        state_mapping=list(zip(trainer.non_trainable_variables, non_trainable))
    ):
        rows = trainer.gather_table_rows(x)

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
        trainer._rowwise_optimizer().apply_rows(trainer.row_updates(x, row_gradients))
    values = [
        value if scope.get_current_value(reference) is None else scope.get_current_value(reference)
        for reference, value in zip(references, values)
    ]
    non_trainable = values[: len(non_trainable)]
    optimizer_variables = values[len(non_trainable) :]

    logs, metrics_variables = trainer._update_metrics_variables(
        metrics_variables, unscaled_loss, x, y, y_pred, sample_weight
    )
    return logs, (trainable, non_trainable, optimizer_variables, metrics_variables)
