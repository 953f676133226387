"""The `keras-lord` parser: commands registered once, choices from the library's registries."""

import types

import pytest

from keras_lord import cli
from keras_lord.clustering.style_cluster_labeler import STATISTICS
from keras_lord.metrics.lpips import LPIPS_NETWORKS
from keras_lord.presets import PRESETS
from keras_lord.tables.content_initialization import CONTENT_INITIALIZATIONS
from keras_lord.trainers.optimization import TABLE_UPDATES
from keras_lord.trainers.precision import PRECISIONS

TRAIN = ["train", "data.npz", "--out", "run"]


def parses(command) -> bool:
    try:
        cli.build_parser().parse_args(command)
    except SystemExit:
        return False
    return True


@pytest.mark.parametrize(
    "command, option, registered",
    [
        (TRAIN, "--preset", PRESETS),
        (TRAIN, "--table-updates", TABLE_UPDATES),
        (TRAIN, "--content-init", ["auto", *CONTENT_INITIALIZATIONS]),
        (TRAIN, "--precision", [*PRECISIONS, "auto"]),
        (["evaluate", "data.npz", "--model", "m"], "--lpips", [*LPIPS_NETWORKS, "none"]),
        (
            ["cluster", "d.npz", "--out", "o.npz", "--styles-per-class", "2"],
            "--statistics",
            STATISTICS,
        ),
    ],
)
def test_choices_are_the_registered_names(command, option, registered):
    for name in registered:
        assert parses(command + [option, name]), name
    assert not parses(command + [option, "no_such_choice"])


def test_a_command_is_a_module_in_commands(monkeypatch, capsys):
    def add_parser(commands):
        parser = commands.add_parser("hello", help="say hello")
        parser.add_argument("--name", default="world")
        return parser

    def run(arguments):
        print(f"hello {arguments.name}")

    hello = types.SimpleNamespace(add_parser=add_parser, run=run)
    monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, hello))
    assert cli.main(["hello", "--name", "LORD"]) == 0
    assert capsys.readouterr().out == "hello LORD\n"


def test_unknown_perceptual_layers_are_an_argument_error(capsys):
    with pytest.raises(SystemExit):
        cli.main([*TRAIN, "--perceptual-layers", "block1_conv2,block9_conv1"])
    error = capsys.readouterr().err
    assert "Unknown VGG16 layers ['block9_conv1']" in error and "block5_pool" in error
    arguments = cli.build_parser().parse_args([*TRAIN, "--perceptual-layers", " block1_conv2, "])
    assert arguments.perceptual_layers == ("block1_conv2",)
