"""`keras-lord prepare NAME`: a dataset as published (or a user's images) into `.npz` splits.

NAME is any key of `keras_lord.datasets.LOADERS`; which options a dataset takes is read
from its loader's signature, so a registered loader is a sub-command choice by itself.
"""

import argparse
import inspect

from keras_lord.cli.argument_types import positive_int, share
from keras_lord.datasets import LOADERS

# Options handed to a loader whenever its signature takes them, by argparse destination.
PASSED_WHERE_TAKEN = ("seed", "skip_unreadable")
# Options naming parts of a dataset, given comma-separated.
LIST_OPTIONS = ("actions", "scenarios")


def _takes(name: str, parameter: str) -> bool:
    return parameter in inspect.signature(LOADERS[name]).parameters


def _held_out_kind(name: str):
    """`int` for loaders holding out a number of classes, `float` for a share of images."""
    parameter = inspect.signature(LOADERS[name]).parameters.get("held_out")
    return None if parameter is None else parameter.annotation


def _names(names: list) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def add_parser(commands) -> argparse.ArgumentParser:
    """Adds `prepare` to the sub-commands, one dataset choice per registered loader.

    Args:
        commands: the parser's sub-parsers action.

    Returns:
        The sub-command's parser.

    """
    sharing = [name for name in LOADERS if _held_out_kind(name) is float]
    prepare = commands.add_parser(
        "prepare",
        help="read a dataset as published (or your own images) into train.npz and test.npz",
    )
    prepare.add_argument("dataset", choices=list(LOADERS))
    prepare.add_argument(
        "--data-dir",
        required=True,
        help="the downloaded files (folder or archive); a class-folder tree for `folder`; "
        "the CSV (file,class[,content]) for `csv`",
    )
    prepare.add_argument(
        "--out", required=True, help="folder for train.npz, test.npz, dataset.json"
    )
    prepare.add_argument("--size", type=positive_int, default=64, help="image side (default 64)")
    prepare.add_argument("--seed", type=int, default=0, help="seed of the held-out choice")
    prepare.add_argument(
        "--held-out-classes",
        type=positive_int,
        default=None,
        help="cars3d: car models held out (default 20); celeba: identities (default 1000)",
    )
    prepare.add_argument(
        "--held-out-share",
        type=share,
        default=None,
        help=f"{', '.join(sharing)}: share of images held out (default 0.1)",
    )
    prepare.add_argument(
        "--actions",
        default=None,
        help="kth: comma-separated actions to read (default handwaving)",
    )
    prepare.add_argument(
        "--scenarios",
        default=None,
        help="kth: comma-separated scenarios d1..d4 to read (default d4)",
    )
    prepare.add_argument(
        "--skip-unreadable",
        action="store_true",
        help="folder and csv: leave out files that are not readable images (they are listed)",
    )
    prepare.add_argument("--force", action="store_true", help="replace another preparation")
    return prepare


def _loader_options(arguments) -> dict:
    dataset = arguments.dataset
    options = {"size": arguments.size}
    for option in PASSED_WHERE_TAKEN:
        if _takes(dataset, option):
            options[option] = getattr(arguments, option)
    for option in LIST_OPTIONS:
        chosen = getattr(arguments, option)
        if chosen is not None:
            if not _takes(dataset, option):
                takers = [name for name in LOADERS if _takes(name, option)]
                raise ValueError(f"--{option} is for {_names(takers)}.")
            options[option] = tuple(part.strip() for part in chosen.split(",") if part.strip())
    if arguments.held_out_classes is not None:
        if _held_out_kind(dataset) is not int:
            counting = [name for name in LOADERS if _held_out_kind(name) is int]
            raise ValueError(f"--held-out-classes is for {_names(counting)}; use --held-out-share.")
        options["held_out"] = arguments.held_out_classes
    if arguments.held_out_share is not None:
        if _held_out_kind(dataset) is not float:
            raise ValueError(f"{dataset} holds out classes, not a share of images.")
        options["held_out"] = arguments.held_out_share
    return options


def run(arguments: argparse.Namespace) -> None:
    """Prepares the dataset with `keras_lord.datasets.prepare.prepare_dataset`.

    Args:
        arguments: the parsed `prepare` arguments.

    Raises:
        ValueError: for an option the dataset's loader does not take.

    """
    from keras_lord.datasets.prepare import prepare_dataset

    info = prepare_dataset(
        arguments.dataset,
        arguments.data_dir,
        arguments.out,
        force=arguments.force,
        **_loader_options(arguments),
    )
    print(
        f"{arguments.out}: {info['train']['images']} training images of "
        f"{info['train']['classes']} classes, {info['test']['images']} held-out images of "
        f"{info['test']['classes']} classes ({info['num_classes']} classes in all)"
    )
