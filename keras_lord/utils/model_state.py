"""The variables that make up a model's training state."""

import keras


def state_variables(model: keras.Model) -> list:
    """The model's variables, then its optimiser's, each once, in their fixed order.

    Args:
        model: a built model, compiled or not.

    Returns:
        The variables a checkpoint or a saved file holds.

    """
    variables, seen = [], set()
    optimizer = getattr(model, "optimizer", None)
    optimizer_variables = optimizer.variables if optimizer is not None else []
    for variable in [*model.variables, *optimizer_variables]:
        if id(variable) not in seen:
            seen.add(id(variable))
            variables.append(variable)
    return variables
