"""The `keras-lord` command."""

import argparse
import sys


def _demo(arguments):
    from keras_lord.demo import run_demo

    run_demo(
        output_dir=arguments.out,
        num_classes=arguments.classes,
        num_views=arguments.views,
        epochs=arguments.epochs,
        batch_size=arguments.batch_size,
        force=arguments.force,
    )


def build_parser() -> argparse.ArgumentParser:
    """Builds the argument parser of the `keras-lord` command.

    Returns:
        The parser, with one sub-command per task.

    """
    parser = argparse.ArgumentParser(
        prog="keras-lord", description="LORD class/content disentanglement with Keras 3."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="train on built-in rendered objects and write translation grids"
    )
    demo.add_argument("--out", default="outputs/demo", help="output folder")
    demo.add_argument("--classes", type=int, default=12, help="objects to render")
    demo.add_argument("--views", type=int, default=12, help="viewpoints per object")
    demo.add_argument("--epochs", type=int, default=80)
    demo.add_argument("--batch-size", type=int, default=32)
    demo.add_argument("--force", action="store_true", help="redo a finished run")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv=None) -> int:
    """Runs the `keras-lord` command.

    Args:
        argv: arguments without the program name; defaults to `sys.argv[1:]`.

    Returns:
        The exit status.

    """
    arguments = build_parser().parse_args(argv)
    try:
        arguments.handler(arguments)
    except (FileExistsError, FileNotFoundError, ValueError) as error:
        print(f"keras-lord: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
