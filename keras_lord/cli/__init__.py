"""The `keras-lord` command: one sub-command per module, listed once in `COMMANDS`.

A sub-command is a module with `add_parser(commands)`, which adds its parser to the
sub-parsers action and returns it, and `run(arguments)`, which does the work; adding one
is a new module and an entry in `COMMANDS`.
"""

import argparse
import sys
import zipfile

from keras_lord.cli import cluster, demo, evaluate, prepare, train, translate
from keras_lord.cli.argument_types import UsageError, positive_float, positive_int
from keras_lord.cli.evaluate import format_report
from keras_lord.cli.train import STAGE2_FLAGS
from keras_lord.cli.translate import read_image

# In the order `keras-lord --help` lists them.
COMMANDS = (train, translate, evaluate, cluster, prepare, demo)

# The failures a user can cause and fix (bad files, data or arguments, a full disk, a
# folder in use): `main` prints them as one line and exits with status 2.
EXPECTED_ERRORS = (
    OSError,
    ImportError,  # an optional extra that is not installed: the message names it
    ValueError,
    KeyError,
    TypeError,
    RuntimeError,
    ArithmeticError,
    zipfile.BadZipFile,
)


def build_parser() -> argparse.ArgumentParser:
    """Builds the argument parser of the `keras-lord` command.

    Returns:
        The parser, with one sub-command per module of `COMMANDS`.

    Example:
    ```python
    arguments = build_parser().parse_args(["prepare", "rafd", "--data-dir", "RaFD", "--out", "x"])
    ```

    """
    parser = argparse.ArgumentParser(
        prog="keras-lord", description="LORD class/content disentanglement with Keras 3."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(commands).set_defaults(run=command.run)
    return parser


def main(argv=None) -> int:
    """Runs the `keras-lord` command.

    Args:
        argv: arguments without the program name; defaults to `sys.argv[1:]`.

    Returns:
        The exit status: 0, or 2 for an error the user can fix (printed as one line),
        running out of memory among them.

    Example:
    ```python
    keras_lord.cli.main(["demo", "--out", "outputs/demo"])
    ```

    """
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        return run_reporting_errors(lambda: arguments.run(arguments))
    except UsageError as error:
        parser.error(str(error))


def run_reporting_errors(work, program: str = "keras-lord") -> int:
    """Runs `work()`; an error the user can fix is printed as one line instead of a traceback.

    Args:
        work: a function of no arguments.
        program: what the line starts with (a script's name).

    Returns:
        0, or 2 after printing one of `EXPECTED_ERRORS` or an out-of-memory error (Python's,
        or the backend's) to standard error.

    Example:
    ```python
    sys.exit(run_reporting_errors(main, "my_script.py"))
    ```

    """
    from keras_lord.backend import OUT_OF_MEMORY_ERRORS

    try:
        work()
    except (MemoryError, *OUT_OF_MEMORY_ERRORS) as error:
        # The message of TF's error runs to pages of allocator state: its first line says it.
        said = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
        print(
            f"{program}: error: out of memory ({said}). Use a smaller --size, --batch-size "
            "or preset, or a machine with more memory.",
            file=sys.stderr,
        )
        return 2
    except EXPECTED_ERRORS as error:
        message = str(error) if not isinstance(error, KeyError) else str(error.args[0])
        # One line, even where a library's message (tarfile's, say) spans several.
        message = " ".join(part.strip() for part in message.splitlines() if part.strip())
        print(f"{program}: error: {message}", file=sys.stderr)
        return 2
    return 0


__all__ = [
    "COMMANDS",
    "EXPECTED_ERRORS",
    "STAGE2_FLAGS",
    "UsageError",
    "build_parser",
    "format_report",
    "main",
    "positive_float",
    "positive_int",
    "read_image",
    "run_reporting_errors",
]
