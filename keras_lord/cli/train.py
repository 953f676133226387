"""`keras-lord train`: both stages on an `.npz`, resumable in its run folder."""

import argparse
import os

from keras_lord.cli import distribution_options
from keras_lord.cli.argument_types import (
    non_negative,
    positive_float,
    positive_int,
    rate_or_auto,
    vgg16_layers,
)
from keras_lord.presets import PRESETS
from keras_lord.tables.content_initialization import CONTENT_INITIALIZATION_CHOICES
from keras_lord.trainers.compile_settings import CompileSettings
from keras_lord.trainers.optimization import TABLE_UPDATES
from keras_lord.trainers.precision import PRECISIONS

# Stage-2 `compile` options of `keras-lord train`, by their argparse destination.
STAGE2_OPTIONS = CompileSettings.command_line_options(stage=2)
STAGE2_FLAGS = {option.flag[2:].replace("-", "_"): option.field for option in STAGE2_OPTIONS}
# The synthesis stage's own options; it shares stage 2's learning-rate option's field but
# keeps its own default rate.
SYNTHESIS_OPTIONS = CompileSettings.command_line_options(stage=3, shared=False)
SYNTHESIS_FLAGS = {option.flag[2:].replace("-", "_"): option.field for option in SYNTHESIS_OPTIONS}


def _given(arguments, flags: dict) -> dict:
    # Only the options given: a run started without them resumes with the same settings.
    return {
        field: getattr(arguments, flag)
        for flag, field in flags.items()
        if getattr(arguments, flag) is not None
    }


def add_parser(commands) -> argparse.ArgumentParser:
    """Adds `train` to the sub-commands.

    Args:
        commands: the parser's sub-parsers action.

    Returns:
        The sub-command's parser.

    """
    train = commands.add_parser(
        "train",
        help="train both stages (and the optional synthesis stage) on an .npz (imgs, "
        "classes[, contents, n_classes])",
    )
    train.add_argument("data", help="dataset .npz in the LORD reference layout")
    train.add_argument("--out", required=True, help="run folder (rerun to resume)")
    train.add_argument("--preset", choices=list(PRESETS), default="small")
    train.add_argument("--epochs", type=positive_int, default=200, help="stage-1 epochs")
    train.add_argument("--encoder-epochs", type=positive_int, default=200, help="stage-2 epochs")
    train.add_argument("--batch-size", type=positive_int, default=64)
    train.add_argument(
        "--latent-lr",
        type=rate_or_auto,
        default=CompileSettings.default("latent_learning_rate"),
        help="stage-1 learning rate of the latent tables, or 'auto' (the default): "
        "0.6 / epochs within [3e-3, 3e-2], printed when training starts",
    )
    train.add_argument(
        "--content-init",
        choices=CONTENT_INITIALIZATION_CHOICES,
        default=CompileSettings.default("content_initialization"),
        help="where stage-1 content codes start: 'pca' (principal components of each image "
        "minus its class's mean image), 'random' (LORD's) or 'auto' (the default: pca)",
    )
    train.add_argument(
        "--table-updates",
        choices=TABLE_UPDATES,
        default=CompileSettings.default("table_updates"),
        help="Adam on the batch's table rows only (cost independent of the dataset) or on "
        "whole tables (the authors' code)",
    )
    train.add_argument(
        "--perceptual-layers",
        type=vgg16_layers,
        default=None,
        help="comma-separated VGG16 layers of the perceptual loss, e.g. "
        "block1_conv2,block2_conv2 (default: five layers down to block5_pool)",
    )
    train.add_argument(
        "--precision",
        # "auto" is resolved by `choose_precision`, to one of the registered precisions.
        choices=[*PRECISIONS, "auto"],
        default="float32",
        help="bfloat16 runs the networks in mixed precision (CPUs with AVX512-BF16 or AMX "
        "under TensorFlow, GPUs); auto picks it where the machine computes in it natively; "
        "float16 scales the loss, for GPUs without bfloat16 (V100, T4)",
    )
    train.add_argument(
        "--eval-data",
        help="held-out .npz (with `contents`): its content-transfer error is logged to "
        "transfer_log.csv in the run folder during stage 2",
    )
    train.add_argument(
        "--eval-every", type=positive_int, default=5, help="epochs between those evaluations"
    )
    train.add_argument(
        "--synthesis-epochs",
        type=non_negative(int),
        default=0,
        help="epochs of the optional adversarial synthesis stage after stage 2 (default 0: none)",
    )
    for option in STAGE2_OPTIONS + SYNTHESIS_OPTIONS:
        kind = positive_float if option.positive else non_negative(option.kind)
        train.add_argument(option.flag, type=kind, help=option.help)
    train.add_argument(
        "--checkpoint-interval",
        type=non_negative(float),
        default=0.0,
        help="least seconds between checkpoints (default 0: after every epoch)",
    )
    distribution_options.add_arguments(train)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--force", action="store_true", help="start over in a finished run")
    return train


def run(arguments: argparse.Namespace) -> None:
    """Trains a run as the arguments say, resuming what the run folder holds.

    Args:
        arguments: the parsed `train` arguments.

    Raises:
        ValueError: for data or held-out data that cannot be trained on together.

    """
    from keras_lord.data import LordData
    from keras_lord.run_outputs import TRANSFER_LOG
    from keras_lord.training_run import train_run

    distribution_options.set_up(arguments)
    data = LordData.from_npz(arguments.data)
    print(
        f"{arguments.data}: {data.num_samples} images of shape {data.image_shape}, "
        f"{data.num_classes} classes"
    )
    callbacks = []
    if arguments.eval_data:
        from keras_lord.callbacks import TransferEvaluation

        held_out = LordData.from_npz(arguments.eval_data)
        if held_out.image_shape != data.image_shape:
            raise ValueError(
                f"--eval-data {arguments.eval_data} holds images of shape "
                f"{held_out.image_shape}; the training data's are {data.image_shape}."
            )
        log_path = os.path.join(arguments.out, TRANSFER_LOG)
        callbacks.append(TransferEvaluation(held_out, arguments.eval_every, log_path=log_path))
        print(
            f"Content transfer on {arguments.eval_data} every {arguments.eval_every} epochs "
            f"of stage 2 -> {log_path}"
        )
    train_run(
        data,
        arguments.out,
        preset=arguments.preset,
        epochs=arguments.epochs,
        encoder_epochs=arguments.encoder_epochs,
        batch_size=arguments.batch_size,
        latent_learning_rate=arguments.latent_lr,
        table_updates=arguments.table_updates,
        content_initialization=arguments.content_init,
        perceptual_layers=arguments.perceptual_layers,
        force=arguments.force,
        seed=arguments.seed,
        precision=arguments.precision,
        callbacks=callbacks,
        stage2_options=_given(arguments, STAGE2_FLAGS),
        synthesis_epochs=arguments.synthesis_epochs,
        synthesis_options=_given(arguments, SYNTHESIS_FLAGS),
        checkpoint_interval_seconds=arguments.checkpoint_interval,
    )
