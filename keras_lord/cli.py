"""The `keras-lord` command: `train`, `translate`, `evaluate` and `demo`."""

import argparse
import math
import os
import sys
import zipfile

import numpy as np

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


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1.

    Args:
        text: the argument.

    Returns:
        The integer.

    Raises:
        argparse.ArgumentTypeError: for anything else.

    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number above 0.

    Args:
        text: the argument.

    Returns:
        The number.

    Raises:
        argparse.ArgumentTypeError: for anything else.

    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return value


def _non_negative(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a {kind.__name__} >= 0, got {text!r}"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
        return value

    return parse


# Stage-2 `compile` options of `keras-lord train`, by their argparse destination.
STAGE2_FLAGS = {
    "encoder_lr": "learning_rate",
    "mixed_code_weight": "mixed_code_weight",
    "encoder_shift": "encoder_shift",
    "content_code_noise": "content_code_noise",
}


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text}")
    return value


def _layer_names(text: str) -> tuple:
    from keras_lord.backbones.vgg16 import VGG16_LAYER_ORDER

    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in VGG16_LAYER_ORDER]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown VGG16 layers {unknown or text!r}; choose from {', '.join(VGG16_LAYER_ORDER)}"
        )
    return names


def _train(arguments):
    from keras_lord.data import LordData
    from keras_lord.training_run import TRANSFER_LOG, train_run

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
        perceptual_layers=arguments.perceptual_layers,
        force=arguments.force,
        seed=arguments.seed,
        precision=arguments.precision,
        callbacks=callbacks,
        # Only the options given: a run started without them resumes with the same settings.
        stage2_options={
            option: getattr(arguments, flag)
            for flag, option in STAGE2_FLAGS.items()
            if getattr(arguments, flag) is not None
        },
        checkpoint_interval_seconds=arguments.checkpoint_interval,
    )


def read_image(path, image_shape, resize: bool = False) -> np.ndarray:
    """Reads a PNG/JPEG as a `uint8` array of the model's shape.

    Args:
        path: the image file.
        image_shape: `(height, width, channels)` the model takes.
        resize: resize to that shape instead of failing on another size.

    Returns:
        A `(height, width, channels)` `uint8` array.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if its size differs and `resize` is false.

    """
    from PIL import Image

    if not os.path.exists(path):
        raise FileNotFoundError(f"Image {path!r} does not exist.")
    height, width, channels = image_shape
    try:
        picture = Image.open(path)
        picture.load()
    except (OSError, Image.DecompressionBombError) as error:
        raise ValueError(f"{path} is not an image that can be read ({error}).") from error
    picture = _as_8_bit(picture, path).convert("L" if channels == 1 else "RGB")
    if picture.size != (width, height):
        if not resize:
            raise ValueError(
                f"{path} is {picture.width}x{picture.height}; the model takes {width}x{height}. "
                "Pass --resize to resize it."
            )
        picture = picture.resize((width, height), Image.BILINEAR)
    array = np.asarray(picture, dtype="uint8")
    return array[..., None] if channels == 1 else array


def _as_8_bit(picture, path):
    # PIL converts 16-bit grayscale to 8 bits by clipping at 255; scale instead.
    if picture.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        maximum = 65535.0
        if np.asarray(picture).max() > maximum:
            raise ValueError(f"{path} holds pixels above 16 bits; save it as an 8-bit image.")
    elif picture.mode == "F":
        raise ValueError(
            f"{path} holds floating-point pixels; save it as an 8- or 16-bit PNG or JPEG."
        )
    else:
        return picture
    from PIL import Image

    pixels = np.asarray(picture, dtype="float64") / maximum * 255.0
    return Image.fromarray(np.round(np.clip(pixels, 0, 255)).astype("uint8"), "L")


def _read_npz_images(path):
    from keras_lord.data import validate_images
    from keras_lord.data.lord_data import open_npz, read_array

    with open_npz(path) as archive:
        if "imgs" not in archive.files:
            raise ValueError(f"{path} has no `imgs` array (the LORD reference layout).")
        images = read_array(archive, "imgs", path)
    return validate_images(images[..., None] if images.ndim == 3 else images, path)


def _translate(arguments):
    from keras_lord.data.pixels import to_uint8
    from keras_lord.saving import load
    from keras_lord.utils.files import atomic_path
    from keras_lord.utils.image_grid import save_png, translation_grid

    model = load(arguments.model)
    options = {}
    if arguments.method == "optimize":
        options["steps"] = arguments.optimize_steps
    if arguments.class_image:
        class_images = read_image(arguments.class_image, model.image_shape, arguments.resize)
        content_images = read_image(arguments.content_image, model.image_shape, arguments.resize)
        output = model.translate(
            class_images[None], content_images[None], method=arguments.method, **options
        )[0]
        save_png(arguments.out, to_uint8(output).squeeze())
        print(f"Wrote {arguments.out}")
        return
    class_images = _read_npz_images(arguments.class_images)
    content_images = _read_npz_images(arguments.content_images)
    output = model.translate(class_images, content_images, method=arguments.method, **options)
    with atomic_path(arguments.out, suffix=".npz") as temporary:
        np.savez(temporary, imgs=to_uint8(output))
    print(f"Wrote {len(output)} translations to {arguments.out}")
    if arguments.grid:
        rows, columns = class_images[:8], content_images[:8]
        table = model.translate(
            np.repeat(rows, len(columns), axis=0),
            np.tile(columns, (len(rows), 1, 1, 1)),
            method=arguments.method,
            **options,
        ).reshape((len(rows), len(columns)) + model.image_shape)
        save_png(arguments.grid, translation_grid(rows, columns, table), scale=2)
        print(f"Wrote the grid {arguments.grid}")


def format_report(report: dict) -> str:
    """Formats an `evaluate_model` report as a plain-text table.

    Args:
        report: the report.

    Returns:
        The table.

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


def _evaluate(arguments):

    from keras_lord.data import LordData
    from keras_lord.evaluation import evaluate_model
    from keras_lord.saving import load
    from keras_lord.utils.files import write_json

    model = load(arguments.model)
    data = LordData.from_npz(arguments.data)
    network = None if arguments.lpips == "none" else arguments.lpips
    report = evaluate_model(model, data, num_pairs=arguments.pairs, lpips_network=network)
    print(format_report(report))
    if arguments.json:
        write_json(arguments.json, report)
        print(f"Wrote {arguments.json}")


def _cluster(arguments):
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


def _prepare(arguments):
    from keras_lord.datasets.prepare import prepare_dataset

    options = {"size": arguments.size}
    if arguments.dataset not in ("smallnorb", "edges2shoes"):
        options["seed"] = arguments.seed
    if arguments.dataset in ("folder", "csv"):
        options["skip_unreadable"] = arguments.skip_unreadable
    for option in ("actions", "scenarios"):
        chosen = getattr(arguments, option)
        if chosen is not None:
            if arguments.dataset != "kth":
                raise ValueError(f"--{option} is for kth.")
            options[option] = tuple(part.strip() for part in chosen.split(",") if part.strip())
    if arguments.held_out_classes is not None:
        if arguments.dataset not in ("cars3d", "celeba"):
            raise ValueError("--held-out-classes is for cars3d and celeba; use --held-out-share.")
        options["held_out"] = arguments.held_out_classes
    if arguments.held_out_share is not None:
        if arguments.dataset in ("cars3d", "celeba", "smallnorb", "edges2shoes"):
            raise ValueError(f"{arguments.dataset} holds out classes, not a share of images.")
        options["held_out"] = arguments.held_out_share
    info = prepare_dataset(
        arguments.dataset, arguments.data_dir, arguments.out, force=arguments.force, **options
    )
    print(
        f"{arguments.out}: {info['train']['images']} training images of "
        f"{info['train']['classes']} classes, {info['test']['images']} held-out images of "
        f"{info['test']['classes']} classes ({info['num_classes']} classes in all)"
    )


def _demo(arguments):
    from keras_lord.demo import run_demo

    run_demo(
        output_dir=arguments.out,
        num_classes=arguments.classes,
        num_views=arguments.views,
        held_out_classes=arguments.held_out,
        epochs=arguments.epochs,
        encoder_epochs=arguments.encoder_epochs,
        batch_size=arguments.batch_size,
        latent_learning_rate=arguments.latent_lr,
        refine=arguments.refine,
        seed=arguments.seed,
        force=arguments.force,
        **(
            {}
            if arguments.shape_variation is None
            else {"shape_variation": arguments.shape_variation}
        ),
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

    train = commands.add_parser(
        "train", help="train both stages on an .npz (imgs, classes[, contents, n_classes])"
    )
    train.add_argument("data", help="dataset .npz in the LORD reference layout")
    train.add_argument("--out", required=True, help="run folder (rerun to resume)")
    train.add_argument("--preset", choices=["small", "paper"], default="small")
    train.add_argument("--epochs", type=positive_int, default=200, help="stage-1 epochs")
    train.add_argument("--encoder-epochs", type=positive_int, default=200, help="stage-2 epochs")
    train.add_argument("--batch-size", type=positive_int, default=64)
    train.add_argument(
        "--latent-lr",
        type=positive_float,
        default=3e-3,
        help="stage-1 learning rate of the latent tables (raise it for small datasets)",
    )
    train.add_argument(
        "--table-updates",
        choices=["rowwise", "dense"],
        default="rowwise",
        help="Adam on the batch's table rows only (cost independent of the dataset) or on "
        "whole tables (the authors' code)",
    )
    train.add_argument(
        "--perceptual-layers",
        type=_layer_names,
        default=None,
        help="comma-separated VGG16 layers of the perceptual loss, e.g. "
        "block1_conv2,block2_conv2 (default: five layers down to block5_pool)",
    )
    train.add_argument(
        "--precision",
        choices=["float32", "bfloat16", "auto"],
        default="float32",
        help="bfloat16 runs the networks in mixed precision (CPUs with AVX512-BF16 or AMX "
        "under TensorFlow, GPUs); auto picks it where the machine computes in it natively",
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
        "--encoder-lr", type=positive_float, help="stage-2 learning rate (default 3e-4)"
    )
    train.add_argument(
        "--mixed-code-weight",
        type=_non_negative(float),
        help="stage 2: weight of the encoders' error on generated mixes of codes (default 0)",
    )
    train.add_argument(
        "--encoder-shift",
        type=_non_negative(int),
        help="stage 2: random shift of the encoders' input images, in pixels (default 0)",
    )
    train.add_argument(
        "--content-code-noise",
        type=_non_negative(float),
        help="stage 2: std of noise on the content encoder's codes in training (default 0)",
    )
    train.add_argument(
        "--checkpoint-interval",
        type=_non_negative(float),
        default=0.0,
        help="least seconds between checkpoints (default 0: after every epoch)",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--force", action="store_true", help="start over in a finished run")
    train.set_defaults(handler=_train)

    translate = commands.add_parser(
        "translate", help="render the class of one image with the content of another"
    )
    translate.add_argument("--model", required=True, help="run folder or .keras file")
    translate.add_argument("--class-image", help="image giving the class")
    translate.add_argument("--content-image", help="image giving the content")
    translate.add_argument("--class-images", help=".npz with `imgs` giving the classes")
    translate.add_argument("--content-images", help=".npz with `imgs` giving the contents")
    translate.add_argument("--out", required=True, help="output .png (single) or .npz (batch)")
    translate.add_argument("--grid", help="batch form: also write an 8x8 PNG grid here")
    translate.add_argument("--method", choices=["encoders", "optimize"], default="encoders")
    translate.add_argument("--optimize-steps", type=positive_int, default=200)
    translate.add_argument("--resize", action="store_true", help="resize images to fit")
    translate.set_defaults(handler=_translate)

    evaluate = commands.add_parser(
        "evaluate", help="score a model on held-out data: transfer, leakage, reconstruction"
    )
    evaluate.add_argument("data", help="held-out .npz (with `contents` for transfer)")
    evaluate.add_argument("--model", required=True, help="run folder or .keras file")
    evaluate.add_argument("--json", help="also write the report here")
    evaluate.add_argument("--pairs", type=positive_int, default=500, help="content-transfer pairs")
    evaluate.add_argument("--lpips", choices=["vgg16", "alexnet", "none"], default="vgg16")
    evaluate.set_defaults(handler=_evaluate)

    cluster = commands.add_parser(
        "cluster", help="split every class into style clusters: (class, style) labels"
    )
    cluster.add_argument("data", help="dataset .npz in the LORD reference layout")
    cluster.add_argument(
        "--out", required=True, help="the .npz with (class, style) labels as `classes`"
    )
    cluster.add_argument("--styles-per-class", type=positive_int, required=True)
    cluster.add_argument("--statistics", choices=["mean_std", "gram"], default="mean_std")
    cluster.add_argument(
        "--labeler", help="where the fitted labeler goes (default: OUT with _labeler.npz)"
    )
    cluster.add_argument("--seed", type=int, default=0)
    cluster.add_argument("--force", action="store_true", help="replace existing outputs")
    cluster.set_defaults(handler=_cluster)

    prepare = commands.add_parser(
        "prepare",
        help="read a dataset as published (or your own images) into train.npz and test.npz",
    )
    prepare.add_argument(
        "dataset",
        choices=[
            "cars3d",
            "celeba",
            "smallnorb",
            "smallnorb_poses",
            "edges2shoes",
            "anime",
            "kth",
            "folder",
            "csv",
        ],
    )
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
        type=_share,
        default=None,
        help="smallnorb_poses, rafd, anime, kth, folder, csv: share of images held out "
        "(default 0.1)",
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
    prepare.set_defaults(handler=_prepare)

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
    demo.add_argument("--latent-lr", type=positive_float, default=3e-2)
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
    demo.add_argument("--seed", type=int, default=0, help="seed of the training")
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
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.command == "translate":
        single = arguments.class_image or arguments.content_image
        batch = arguments.class_images or arguments.content_images
        if (
            bool(single) == bool(batch)
            or (single and not (arguments.class_image and arguments.content_image))
            or (batch and not (arguments.class_images and arguments.content_images))
        ):
            parser.error(
                "give --class-image and --content-image (PNG), or --class-images and "
                "--content-images (.npz)"
            )
    try:
        arguments.handler(arguments)
    except EXPECTED_ERRORS as error:
        message = str(error) if not isinstance(error, KeyError) else str(error.args[0])
        print(f"keras-lord: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
