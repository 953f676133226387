"""Loading LORD models and trainers, including files written by earlier keras-lord versions."""

import json
import os
import zipfile

import keras

from keras_lord.utils.archive_limits import read_zip_member

# A model's config is kilobytes; one declaring more is not a Keras file's.
CONFIG_LIMIT = 64 * 2**20
MODEL_FILE = "model.keras"
TRAINER_FILE = "trainer.keras"


def _keras_file(path, default_name):
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, default_name)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No model at {path!r}: pass a `.keras` file or a folder made by "
            "`keras-lord train` (training writes `model.keras` when both stages are done)."
        )
    return path


def _saved_class(path) -> tuple:
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(
                read_zip_member(archive, "config.json", f"{path}:config.json", CONFIG_LIMIT)
            )
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a Keras `.keras` file ({error}).") from error
    return config.get("class_name")


def _load_keras_file(path):
    # A file cut off or damaged after its config: the zip's checksums or the weights' HDF5
    # reader find it, and say so in their own terms.
    try:
        return keras.saving.load_model(path)
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError(
            f"{path} is damaged or incomplete ({type(error).__name__}: {error}); load a "
            "complete copy, or train again."
        ) from error


def load_trainer(path: str | os.PathLike):
    """Loads a `LordTrainer` saved with `trainer.save`, to go on training it.

    Files written by keras-lord 0.1 load too.

    Args:
        path: a `.keras` file, or a folder written by `keras-lord train` (its
            `trainer.keras`).

    Returns:
        The `LordTrainer`, compiled as it was saved.

    Raises:
        FileNotFoundError: if there is no file at `path`.
        TypeError: if the file holds another kind of model.
        ValueError: if the file is not a `.keras` file, or is damaged.

    Example:
    ```python
    trainer = keras_lord.saving.load_trainer("runs/cars/stage1.keras")
    trainer.start_stage2()
    ```

    """
    from keras_lord.trainers.lord_trainer import LordTrainer

    path = _keras_file(path, TRAINER_FILE)
    class_name = _saved_class(path)
    if class_name != "LordTrainer":
        raise TypeError(f"{path} holds a {class_name}, not a keras_lord LordTrainer.")
    trainer = _load_keras_file(path)
    if not isinstance(trainer, LordTrainer):
        raise TypeError(f"{path} holds a {type(trainer).__name__}, not a LordTrainer.")
    return trainer


def load(path: str | os.PathLike):
    """Loads a trained LORD model for inference.

    Takes a `LordModel` file (`trainer.model.save`), a whole `LordTrainer` file
    (`trainer.save`, of this version or of keras-lord 0.1), or a `keras-lord train` folder
    (its `model.keras`).

    Args:
        path: a `.keras` file or a run folder.

    Returns:
        The `LordModel`, with `encode_class`, `encode_content`, `translate`, `decode` and
        `optimize_codes` ready to use.

    Raises:
        FileNotFoundError: if there is no model at `path`.
        TypeError: if the file holds another kind of model.
        ValueError: if the file is not a `.keras` file, or is damaged.

    Example:
    ```python
    model = keras_lord.load("runs/cars")
    mixed = model.translate(class_images, content_images)
    ```

    """
    from keras_lord.models.lord_model import LordModel

    path = _keras_file(path, MODEL_FILE)
    class_name = _saved_class(path)
    if class_name == "LordTrainer":
        return load_trainer(path).model
    if class_name != "LordModel":
        raise TypeError(f"{path} holds a {class_name}, not a keras_lord LordModel.")
    model = _load_keras_file(path)
    if not isinstance(model, LordModel):
        raise TypeError(f"{path} holds a {type(model).__name__}, not a LordModel.")
    return model


__all__ = ["MODEL_FILE", "TRAINER_FILE", "load", "load_trainer"]
