"""Loading trained LORD models."""

import os

import keras

MODEL_FILE = "model.keras"


def load(path: str | os.PathLike) -> keras.Model:
    """Loads a trained `LordTrainer` from a `.keras` file or a `keras-lord train` folder.

    Args:
        path: a `.keras` file, or a folder written by `keras-lord train` (its `model.keras`).

    Returns:
        The `LordTrainer`, with `encode_class`, `encode_content`, `translate`, `decode`,
        `generate` and `optimize_codes` ready to use.

    Raises:
        FileNotFoundError: if there is no model at `path`.
        TypeError: if the file holds another kind of model.

    Example:
    ```python
    model = keras_lord.load("runs/cars")
    mixed = model.translate(class_images, content_images)
    ```

    """
    from keras_lord.trainers.lord_trainer import LordTrainer

    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, MODEL_FILE)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No model at {path!r}: pass a `.keras` file or a folder made by "
            "`keras-lord train` (training writes `model.keras` when both stages are done)."
        )
    model = keras.saving.load_model(path)
    if not isinstance(model, LordTrainer):
        raise TypeError(f"{path} holds a {type(model).__name__}, not a keras_lord LordTrainer.")
    return model
