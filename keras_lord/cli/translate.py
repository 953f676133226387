"""`keras-lord translate`: the class of one image rendered with the content of another."""

import argparse
import os

import numpy as np

from keras_lord.cli.argument_types import UsageError, positive_int
from keras_lord.translation import TRANSLATION_METHODS


def add_parser(commands) -> argparse.ArgumentParser:
    """Adds `translate` to the sub-commands.

    Args:
        commands: the parser's sub-parsers action.

    Returns:
        The sub-command's parser.

    """
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
    methods = [TRANSLATION_METHODS.get(name) for name in TRANSLATION_METHODS]
    translate.add_argument(
        "--method",
        choices=list(TRANSLATION_METHODS),
        default="encoders",
        help="; ".join(f"{method.name}: {method.help}" for method in methods),
    )
    for method in methods:
        if method.steps_flag:
            translate.add_argument(
                method.steps_flag,
                type=positive_int,
                default=method.steps_default,
                help=f"steps of --method {method.name} (default {method.steps_default})",
            )
    translate.add_argument("--resize", action="store_true", help="resize images to fit")
    return translate


def read_image(path, image_shape, resize: bool = False) -> np.ndarray:
    """Reads an image file as a `uint8` array of the model's shape.

    Pixels are read by `keras_lord.data.image_files.read_image_file` (16-bit images
    scaled to 8 bits, palettes expanded, alpha dropped).

    Args:
        path: the image file.
        image_shape: `(height, width, channels)` the model takes.
        resize: resize to that shape instead of failing on another size.

    Returns:
        A `(height, width, channels)` `uint8` array.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if it is not a readable image, or its size differs and `resize` is
            false.

    Example:
    ```python
    image = read_image("face.png", model.image_shape, resize=True)
    ```

    """
    from PIL import Image

    from keras_lord.data.image_files import open_image_file

    if not os.path.exists(path):
        raise FileNotFoundError(f"Image {path!r} does not exist.")
    height, width, channels = image_shape
    picture = open_image_file(path, channels)
    if picture.size != (width, height):
        if not resize:
            raise ValueError(
                f"{path} is {picture.width}x{picture.height}; the model takes {width}x{height}. "
                "Pass --resize to resize it."
            )
        picture = picture.resize((width, height), Image.BILINEAR)
    array = np.asarray(picture, dtype="uint8")
    return array[..., None] if channels == 1 else array


def _read_npz_images(path):
    from keras_lord.data import validate_images
    from keras_lord.data.lord_data import open_npz, read_array

    with open_npz(path) as archive:
        if "imgs" not in archive.files:
            raise ValueError(f"{path} has no `imgs` array (the LORD reference layout).")
        images = read_array(archive, "imgs", path)
    return validate_images(images[..., None] if images.ndim == 3 else images, path)


def _check_inputs(arguments):
    single = arguments.class_image or arguments.content_image
    batch = arguments.class_images or arguments.content_images
    if (
        bool(single) == bool(batch)
        or (single and not (arguments.class_image and arguments.content_image))
        or (batch and not (arguments.class_images and arguments.content_images))
    ):
        raise UsageError(
            "give --class-image and --content-image (PNG), or --class-images and "
            "--content-images (.npz)"
        )


def _method_options(arguments) -> dict:
    method = TRANSLATION_METHODS.get(arguments.method)
    if not method.steps_flag:
        return {}
    return {"steps": getattr(arguments, method.steps_flag[2:].replace("-", "_"))}


def run(arguments: argparse.Namespace) -> None:
    """Translates one pair of image files, or the pairs of two `.npz` files.

    Args:
        arguments: the parsed `translate` arguments.

    Raises:
        UsageError: unless exactly one pair of inputs (files or `.npz`) is given.

    """
    from keras_lord.data.pixels import to_uint8
    from keras_lord.saving import load
    from keras_lord.utils.files import atomic_path
    from keras_lord.utils.image_grid import save_png, translation_grid

    _check_inputs(arguments)
    model = load(arguments.model)
    options = _method_options(arguments)
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
