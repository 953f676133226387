"""`keras-lord demo`: train on built-in rendered objects and translate held-out ones."""

import argparse

from keras_lord.cli import distribution_options
from keras_lord.cli.argument_types import positive_int, rate_or_auto
from keras_lord.tables.content_initialization import AUTO, CONTENT_INITIALIZATION_CHOICES


def add_parser(commands) -> argparse.ArgumentParser:
    """Adds `demo` to the sub-commands.

    Args:
        commands: the parser's sub-parsers action.

    Returns:
        The sub-command's parser.

    """
    demo = commands.add_parser(
        "demo", help="train on built-in rendered objects and translate held-out ones"
    )
    demo.add_argument("--out", default="outputs/demo", help="output folder")
    demo.add_argument("--classes", type=positive_int, default=28, help="objects to render")
    demo.add_argument("--views", type=positive_int, default=12, help="viewpoints per object")
    demo.add_argument(
        "--held-out", type=positive_int, default=4, help="objects kept out of training"
    )
    demo.add_argument("--epochs", type=positive_int, default=20, help="stage-1 epochs")
    demo.add_argument("--encoder-epochs", type=positive_int, default=8, help="stage-2 epochs")
    demo.add_argument("--batch-size", type=positive_int, default=8)
    demo.add_argument("--latent-lr", type=rate_or_auto, default="auto")
    demo.add_argument(
        "--content-init",
        choices=CONTENT_INITIALIZATION_CHOICES,
        default=AUTO,
        help="where stage-1 content codes start (default 'auto': pca)",
    )
    demo.add_argument(
        "--shape-variation",
        type=float,
        help="how far the objects' shapes differ, 0 (one body plan) to 1 (independent); "
        "default 0.3",
    )
    demo.add_argument(
        "--refine",
        action="store_true",
        help="also translate held-out objects with class codes refined on the class image",
    )
    distribution_options.add_arguments(demo)
    demo.add_argument("--seed", type=int, default=0, help="seed of the training")
    demo.add_argument("--force", action="store_true", help="redo a finished run")
    return demo


def run(arguments: argparse.Namespace) -> None:
    """Runs `keras_lord.demo.run_demo` with the arguments.

    Args:
        arguments: the parsed `demo` arguments.

    """
    from keras_lord.demo import run_demo

    distribution_options.set_up(arguments)
    run_demo(
        output_dir=arguments.out,
        num_classes=arguments.classes,
        num_views=arguments.views,
        held_out_classes=arguments.held_out,
        epochs=arguments.epochs,
        encoder_epochs=arguments.encoder_epochs,
        batch_size=arguments.batch_size,
        latent_learning_rate=arguments.latent_lr,
        content_initialization=arguments.content_init,
        refine=arguments.refine,
        seed=arguments.seed,
        force=arguments.force,
        **(
            {}
            if arguments.shape_variation is None
            else {"shape_variation": arguments.shape_variation}
        ),
    )
