"""Image files read into `uint8` pixels, one rule for every pixel format PIL decodes.

The rule, the same for the command line, the folder and CSV loaders and the published
datasets:

- 16-bit greyscale (PIL modes `I;16`, `I;16L`, `I;16B`, `I;16N`, and `I`, which PIL uses
  for 16-bit PNGs) is scaled to 8 bits, `round(value / 65535 * 255)`, not clipped at 255;
  values above 65535 (a 32-bit file) are refused.
- Floating-point pixels (mode `F`) are refused: their range is unknown.
- Palette images (`P`, `PA`) are expanded through RGBA, so a transparent palette entry
  becomes an alpha value like any other.
- Alpha is dropped: the colour channels are kept as stored.
- Greyscale and colour are converted to the channels asked for (PIL's ITU-R 601-2 luma
  for colour to greyscale; greyscale is repeated for colour).
"""

import io
import os

import numpy as np
from PIL import Image

SIXTEEN_BIT_MODES = ("I", "I;16", "I;16L", "I;16B", "I;16N")
SIXTEEN_BIT_MAXIMUM = 65535
PALETTE_MODES = ("P", "PA")


def _name_of(source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return getattr(source, "name", None) or "image"


def _refusal(picture: Image.Image, name: str) -> str | None:
    """Why the rule refuses the pixels of `picture`, or `None`."""
    if picture.mode == "F":
        return f"{name} holds floating-point pixels; save it as an 8- or 16-bit PNG or JPEG."
    if picture.mode in SIXTEEN_BIT_MODES and np.asarray(picture).max() > SIXTEEN_BIT_MAXIMUM:
        return f"{name} holds pixels above 16 bits; save it as an 8-bit image."
    return None


def _converted(picture: Image.Image, channels: int) -> Image.Image:
    if picture.mode in SIXTEEN_BIT_MODES:
        pixels = np.asarray(picture, dtype="float64") / SIXTEEN_BIT_MAXIMUM * 255.0
        picture = Image.fromarray(np.round(np.clip(pixels, 0, 255)).astype("uint8"))
    elif picture.mode in PALETTE_MODES:
        picture = picture.convert("RGBA")
    return picture.convert("L" if channels == 1 else "RGB")


def open_image_file(source, channels: int = 3, name: str | None = None) -> Image.Image:
    """Decodes an image file to an 8-bit PIL image, by the module's rule.

    For callers that crop or resize with PIL next; `read_image_file` gives the array.

    Args:
        source: a path, the file's bytes, or a binary file object.
        channels: 3 for an `RGB` image, 1 for `L` (greyscale).
        name: what error messages call the file (default: the path, or `"image"`).

    Returns:
        A loaded PIL image of mode `RGB` or `L`, independent of the file.

    Raises:
        ValueError: for `channels` other than 1 or 3, a file that is not a readable image
            (missing, damaged, too large to decode safely, or in a mode PIL cannot convert),
            or pixels the rule refuses.

    Example:
    ```python
    picture = open_image_file("face.png").resize((64, 64))
    ```

    """
    if channels not in (1, 3):
        raise ValueError(f"`channels` must be 1 or 3; got {channels!r}.")
    name = name or _name_of(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(source)
    try:
        with Image.open(source) as picture:
            picture.load()
            refusal = _refusal(picture, name)
            if refusal is None:
                return _converted(picture, channels)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ValueError(f"{name} is not an image that can be read ({error}).") from error
    raise ValueError(refusal)


def read_image_file(source, channels: int = 3, name: str | None = None) -> np.ndarray:
    """Reads an image file as a `uint8` array, by the module's rule.

    Args:
        source: a path, the file's bytes, or a binary file object.
        channels: 3 for RGB, 1 for greyscale.
        name: what error messages call the file (default: the path, or `"image"`).

    Returns:
        A `(height, width, channels)` `uint8` array.

    Raises:
        ValueError: for `channels` other than 1 or 3, a file that is not a readable image,
            or pixels the rule refuses (floating-point, or above 16 bits).

    Example:
    ```python
    pixels = keras_lord.data.image_files.read_image_file("scan.png")  # 16-bit: scaled
    ```

    """
    pixels = np.asarray(open_image_file(source, channels, name), dtype="uint8")
    return pixels.reshape(pixels.shape[:2] + (channels,))
