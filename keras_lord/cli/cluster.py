"""`keras-lord cluster`: every class split into style clusters, as (class, style) labels."""

import argparse
import os

from keras_lord.cli.argument_types import positive_int
from keras_lord.clustering.style_cluster_labeler import STATISTICS


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


def run(arguments: argparse.Namespace) -> None:
    """Fits a `StyleClusterLabeler`; writes the relabelled data and the labeler.

    Args:
        arguments: the parsed `cluster` arguments.

    Raises:
        FileExistsError: if an output exists and `--force` is not given.

    """
    from keras_lord.clustering import StyleClusterLabeler
    from keras_lord.data import LordData

    labeler_path = arguments.labeler or os.path.splitext(arguments.out)[0] + "_labeler.npz"
    for path in (arguments.out, labeler_path):
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
    clustered.save_npz(
        arguments.out,
        extras={"original_classes": data.class_ids, "styles": labeler.style_of_label[joint]},
    )
    labeler.save(labeler_path)
    counts = labeler.cluster_counts
    fewer = sorted(label for label, count in counts.items() if count < arguments.styles_per_class)
    print(
        f"{arguments.out}: {data.num_samples} images in {labeler.num_labels} (class, style) "
        f"labels from {len(counts)} classes"
        + (f"; {len(fewer)} classes had fewer images than styles" if fewer else "")
    )
    print(f"Labeler written to {labeler_path} (`StyleClusterLabeler.load`)")
