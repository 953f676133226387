"""Where the latent tables live on a device mesh: rows split over the model axis."""

import keras

from keras_lord.tables.factor_tables import FACTOR_TABLE_NAMES

# What `keras.distribution.ModelParallel` calls its axes unless told otherwise.
BATCH_AXIS = "batch"
MODEL_AXIS = "model"


def layout_map(
    mesh: "keras.distribution.DeviceMesh",
    tables: tuple = ("content",),
    model_axis: str = MODEL_AXIS,
) -> "keras.distribution.LayoutMap":
    """The layout that splits latent tables by rows over a mesh's model axis.

    One code per training image makes the content table the model's largest weight
    (CelebA at the `paper` preset: 182,700 x 128 floats, three times that with its Adam
    slots). Split by rows, each device keeps `1 / mesh.shape[model_axis]` of it; the
    tables' Adam slots follow the table's layout (Keras gives an optimiser variable the
    layout of the variable it tracks), and a training step exchanges the batch's rows, not
    the table (`keras_lord.distribution.step_communication`). The networks' weights stay
    replicated: they are small beside their activations.

    Args:
        mesh: a `keras.distribution.DeviceMesh` with an axis named `model_axis`.
        tables: the factors whose tables are split: `"content"`, `"class"`, or an
            attribute's name.
        model_axis: the mesh axis the rows are split over.

    Returns:
        A `keras.distribution.LayoutMap` for `keras.distribution.ModelParallel`.

    Raises:
        ValueError: if `mesh` has no axis `model_axis`.

    Example:
    ```python
    devices = keras.distribution.list_devices()
    mesh = keras.distribution.DeviceMesh((2, len(devices) // 2), ("batch", "model"), devices)
    keras.distribution.set_distribution(
        keras.distribution.ModelParallel(
            layout_map=keras_lord.distribution.layout_map(mesh), batch_dim_name="batch"
        )
    )
    trainer = keras_lord.LordTrainer(num_classes=10, num_samples=50_000, image_shape=(64, 64, 3))
    ```

    """
    if model_axis not in mesh.axis_names:
        raise ValueError(
            f"The mesh has no axis {model_axis!r} to split table rows over (its axes: "
            f"{list(mesh.axis_names)}); name one of them as `model_axis`."
        )
    layouts = keras.distribution.LayoutMap(mesh)
    for factor in tables:
        layouts[f"{FACTOR_TABLE_NAMES.format(factor=factor)}/embeddings"] = (model_axis, None)
    return layouts
