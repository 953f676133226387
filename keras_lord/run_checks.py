"""The checks a training run makes of its arguments before it writes anything."""

import math

import numpy as np

from keras_lord.backbones.vgg16 import check_vgg16_layers
from keras_lord.trainers.amortization import check_code_source
from keras_lord.trainers.code_sources import get_code_source
from keras_lord.trainers.compile_settings import CompileSettings
from keras_lord.trainers.latent_learning_rate import AUTO


def check_stage2_options(
    stage2_options: dict, image_shape, stage: int = 2, code_source=None
) -> None:
    """Checks a run's stage-2 (or synthesis) `compile` options before anything is written.

    Args:
        stage2_options: `LordTrainer.compile` arguments of the stage.
        image_shape: `(height, width, channels)` of the data.
        stage: the stage they are for (2, or 3 for the synthesis stage), named in errors.
        code_source: the run's `CodeSource`, for the options that need its stage-1 codes.

    Raises:
        ValueError: naming an option `compile` does not take, one out of range, or one
            the code source cannot serve.

    """
    settings = CompileSettings.from_options(stage2_options, stage=stage).checked_for(image_shape)
    if code_source is not None:
        check_code_source(settings.class_content_decorrelation, code_source)


def check_run_arguments(
    epochs, encoder_epochs, batch_size, latent_learning_rate, perceptual_layers=None
) -> None:
    """Checks the numbers of a run before anything is written.

    Args:
        epochs: stage-1 epochs.
        encoder_epochs: stage-2 epochs.
        batch_size: batch size.
        latent_learning_rate: stage-1 learning rate of the tables, or `"auto"`.
        perceptual_layers: VGG16 layer names, or `None`.

    Raises:
        ValueError: naming the first argument out of range.

    """
    for name, value in (
        ("epochs", epochs),
        ("encoder_epochs", encoder_epochs),
        ("batch_size", batch_size),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"`{name}` must be a positive integer; got {value!r}.")
    rate = latent_learning_rate
    is_number = isinstance(rate, (int, float, np.integer, np.floating)) and not isinstance(
        rate, bool
    )
    if rate != AUTO and not (is_number and math.isfinite(rate) and rate > 0):
        raise ValueError(
            f"`latent_learning_rate` must be a finite positive number or 'auto'; got {rate!r}."
        )
    if perceptual_layers is not None:
        try:
            check_vgg16_layers(perceptual_layers)
        except ValueError as error:
            raise ValueError(f"`perceptual_layers`: {error}") from None


def check_synthesis(epochs, options: dict, image_shape, trainer_arguments: dict) -> None:
    """Checks a run's synthesis stage before anything is written.

    Args:
        epochs: its epochs (0: none).
        options: its `LordTrainer.compile` arguments.
        image_shape: `(height, width, channels)` of the data.
        trainer_arguments: the run's other `LordTrainer` arguments.

    Raises:
        ValueError: for epochs that are not a whole number >= 0, options without epochs, a
            bad option, or a code source without stage 2, which the stage follows.

    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"`synthesis_epochs` must be a whole number >= 0; got {epochs!r}.")
    if options and not epochs:
        raise ValueError(
            f"Synthesis options {sorted(options)} were given without `synthesis_epochs`: "
            "pass the stage's epochs (--synthesis-epochs N), or leave the options out."
        )
    source = get_code_source(trainer_arguments.get("stage1_codes", "tables"))
    check_stage2_options(options, image_shape, stage=3, code_source=source)
    if epochs and not source.has_second_stage:
        raise ValueError(
            f"The synthesis stage follows stage 2, which `stage1_codes={source.name!r}` does "
            "not have; leave out `synthesis_epochs` or train with tables."
        )
