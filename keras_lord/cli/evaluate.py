"""`keras-lord evaluate`: a model scored on held-out data, printed as a table."""

import argparse

from keras_lord.cli.argument_types import positive_int
from keras_lord.metrics.lpips import LPIPS_NETWORKS


def add_parser(commands) -> argparse.ArgumentParser:
    """Adds `evaluate` to the sub-commands.

    Args:
        commands: the parser's sub-parsers action.

    Returns:
        The sub-command's parser.

    """
    evaluate = commands.add_parser(
        "evaluate", help="score a model on held-out data: transfer, leakage, reconstruction"
    )
    evaluate.add_argument("data", help="held-out .npz (with `contents` for transfer)")
    evaluate.add_argument("--model", required=True, help="run folder or .keras file")
    evaluate.add_argument("--json", help="also write the report here")
    evaluate.add_argument("--pairs", type=positive_int, default=500, help="content-transfer pairs")
    evaluate.add_argument("--lpips", choices=[*LPIPS_NETWORKS, "none"], default="vgg16")
    evaluate.add_argument(
        "--inception-weights",
        help="also FID and KID of translations: 'fid' (download FID's Inception once) or "
        "the path of pt_inception-2015-12-05-6726825d.pth",
    )
    return evaluate


def format_report(report: dict) -> str:
    """Formats an `evaluate_model` report as a plain-text table.

    Args:
        report: the report.

    Returns:
        The table.

    Example:
    ```python
    print(format_report(keras_lord.evaluation.evaluate_model(model, held_out)))
    ```

    """
    lines = [f"{report['images']} held-out images"]
    reconstruction = report["reconstruction"]
    lines.append(
        "reconstruction         MSE {:.4f}".format(reconstruction["mse"])
        + (f"  LPIPS {reconstruction['lpips']:.4f}" if "lpips" in reconstruction else "")
    )
    if "content_transfer" in report:
        transfer = report["content_transfer"]
        lines.append(f"content transfer ({transfer['pairs']} pairs)")
        for name in ("model", "copy_content", "copy_class"):
            errors = transfer[name]
            lines.append(
                f"  {name:20} MSE {errors['mse']:.4f}"
                + (f"  LPIPS {errors['lpips']:.4f}" if "lpips" in errors else "")
            )
    if "image_quality" in report:
        quality = report["image_quality"]
        lines.append(
            f"translations' FID {quality['fid']:.2f}  KID {quality['kid']:.4f} "
            f"(+- {quality['kid_std']:.4f}; {quality['generated_images']} translations, "
            f"{quality['real_images']} images)"
        )
    lines.append("leakage (held-out accuracy vs chance)")
    for probe, results in report["leakage"].items():
        for classifier, result in results.items():
            if "skipped" in result:
                lines.append(f"  {probe:20} {classifier:9} not measured: {result['skipped']}")
                continue
            lines.append(
                f"  {probe:20} {classifier:9} {result['accuracy']:.3f} (chance "
                f"{result['chance']:.3f})"
            )
    return "\n".join(lines)


def run(arguments: argparse.Namespace) -> None:
    """Evaluates a model on held-out data; prints the report, and writes it as JSON if asked.

    Args:
        arguments: the parsed `evaluate` arguments.

    """
    from keras_lord.data import LordData
    from keras_lord.evaluation import evaluate_model
    from keras_lord.saving import load
    from keras_lord.utils.files import write_json

    model = load(arguments.model)
    data = LordData.from_npz(arguments.data)
    network = None if arguments.lpips == "none" else arguments.lpips
    report = evaluate_model(
        model,
        data,
        num_pairs=arguments.pairs,
        lpips_network=network,
        inception_weights=arguments.inception_weights,
    )
    print(format_report(report))
    if arguments.json:
        write_json(arguments.json, report)
        print(f"Wrote {arguments.json}")
