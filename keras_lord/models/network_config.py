"""Config helpers shared by the functional networks (generator and encoders)."""

import keras


def network_config(model, **arguments) -> dict:
    """Returns a functional network's config: its `__init__` arguments plus name and dtype.

    Args:
        model: the network; its `layer_dtype` is the dtype policy it was built with.
        **arguments: its other `__init__` arguments.

    Returns:
        A JSON-serialisable dict.

    """
    return {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": keras.saving.serialize_keras_object(model.layer_dtype),
        **arguments,
    }


def network_from_config(cls, config: dict) -> keras.Model:
    """Rebuilds a functional network from its `network_config` dict.

    Args:
        cls: the network's class.
        config: the saved config.

    Returns:
        The network, with `image_shape` a tuple and `dtype` a policy again.

    """
    config = dict(config)
    config["image_shape"] = tuple(config["image_shape"])
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = keras.saving.deserialize_keras_object(config["dtype"])
    # Given to the constructor, `trainable=False` marks the network but leaves its layers'
    # variables trainable; the setter freezes them too.
    trainable = config.pop("trainable", True)
    network = cls(**config)
    network.trainable = trainable
    return network
