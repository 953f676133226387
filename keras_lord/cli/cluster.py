"""`keras-lord cluster`: every class split into style clusters, as (class, style) labels."""

import argparse
import os

from keras_lord.cli.argument_types import positive_int
from keras_lord.clustering.style_cluster_labeler import STATISTICS
from keras_lord.utils.files import atomic_path, remove_partial_files


def add_parser(commands) -> argparse.ArgumentParser:
    """Adds `cluster` to the sub-commands.

    Args:
        commands: the parser's sub-parsers action.

    Returns:
        The sub-command's parser.

    """
    cluster = commands.add_parser(
        "cluster", help="split every class into style clusters: (class, style) labels"
    )
    cluster.add_argument("data", help="dataset .npz in the LORD reference layout")
    cluster.add_argument(
        "--out", required=True, help="the .npz with (class, style) labels as `classes`"
    )
    cluster.add_argument("--styles-per-class", type=positive_int, required=True)
    cluster.add_argument("--statistics", choices=STATISTICS, default="mean_std")
    cluster.add_argument(
        "--labeler", help="where the fitted labeler goes (default: OUT with _labeler.npz)"
    )
    cluster.add_argument("--seed", type=int, default=0)
    cluster.add_argument("--force", action="store_true", help="replace existing outputs")
    return cluster


def _check_outputs(data_path, out_path, labeler_path) -> None:
    """Refuses outputs that would overwrite the input, or each other, before any work."""
    data, out, labeler = (os.path.realpath(path) for path in (data_path, out_path, labeler_path))
    for flag, path in (("--out", out), ("--labeler", labeler)):
        if path == data:
            raise ValueError(
                f"{flag} {path} is the input data; keras-lord never overwrites its input, "
                f"even with --force. Choose another {flag}."
            )
    if out == labeler:
        raise ValueError(f"--out and --labeler are one file, {out}; give them two names.")


def run(arguments: argparse.Namespace) -> None:
    """Fits a `StyleClusterLabeler`; writes the relabelled data and the labeler.

    Both files are written aside and renamed into place together, the data last, after any
    old pair is removed: a kill leaves the old pair, or no data file, never a mix.

    Args:
        arguments: the parsed `cluster` arguments.

    Raises:
        FileExistsError: if an output exists and `--force` is not given.
        ValueError: if an output is the input, or both outputs are one file.

    """
    from keras_lord.clustering import StyleClusterLabeler
    from keras_lord.data import LordData

    labeler_path = arguments.labeler or os.path.splitext(arguments.out)[0] + "_labeler.npz"
    _check_outputs(arguments.data, arguments.out, labeler_path)
    for path in (arguments.out, labeler_path):
        remove_partial_files(os.path.dirname(os.path.abspath(path)), of=[os.path.basename(path)])
        if os.path.exists(path) and not arguments.force:
            raise FileExistsError(f"{path} exists; pass --force to replace it.")
    data = LordData.from_npz(arguments.data)
    labeler = StyleClusterLabeler(
        styles_per_class=arguments.styles_per_class,
        statistics=arguments.statistics,
        seed=arguments.seed,
    )
    joint = labeler.fit_predict(data.images, data.class_ids)
    clustered = LordData(
        images=data.images,
        class_ids=joint,
        num_classes=labeler.num_labels,
        content_ids=data.content_ids,
    )
    # Nested so that the labeler is renamed into place first and the data last.
    styles = labeler.style_of_label[joint]
    with atomic_path(arguments.out, suffix=".npz") as out_path:
        with atomic_path(labeler_path, suffix=".npz") as staged_labeler_path:
            clustered.save_npz(
                out_path,
                extras={"original_classes": data.class_ids, "styles": styles},
            )
            labeler.save(staged_labeler_path)
            for path in (arguments.out, labeler_path):
                if os.path.exists(path):
                    os.remove(path)
    counts = labeler.cluster_counts
    fewer = sorted(label for label, count in counts.items() if count < arguments.styles_per_class)
    print(
        f"{arguments.out}: {data.num_samples} images in {labeler.num_labels} (class, style) "
        f"labels from {len(counts)} classes"
        + (f"; {len(fewer)} classes had fewer images than styles" if fewer else "")
    )
    print(f"Labeler written to {labeler_path} (`StyleClusterLabeler.load`)")
