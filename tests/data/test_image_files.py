"""One rule for image files: the CLI, the folder loader and the dataset loaders agree."""

import numpy as np
import pytest
from PIL import Image

from keras_lord.cli import read_image
from keras_lord.data.image_files import open_image_file, read_image_file
from keras_lord.datasets import from_folder
from keras_lord.datasets.resizing import decode_images

SIDE = 8


def sixteen_bit(path):
    """A 16-bit greyscale PNG and the RGB pixels the rule reads: scaled, not clipped."""
    ramp = (np.arange(SIDE * SIDE, dtype="uint16").reshape(SIDE, SIDE) * 1000).astype("uint16")
    Image.fromarray(ramp).save(path)
    assert Image.open(path).mode in ("I", "I;16")
    grey = np.round(ramp / 65535 * 255).astype("uint8")
    return np.repeat(grey[..., None], 3, axis=-1)


def palette(path):
    """A palette PNG with a transparent entry and the RGB pixels the rule reads."""
    colours = np.array([[250, 10, 10], [10, 250, 10], [10, 10, 250], [128, 128, 0]], "uint8")
    indices = np.arange(SIDE * SIDE).reshape(SIDE, SIDE) % len(colours)
    picture = Image.fromarray(indices.astype("uint8"), "L").convert("P")
    picture.putpalette(colours.ravel().tolist())
    picture.info["transparency"] = 0  # colour 0 is transparent; its RGB is kept
    picture.save(path, transparency=0)
    assert Image.open(path).mode == "P"
    return colours[indices]


def as_channels(rgb, channels):
    if channels == 3:
        return rgb
    return np.asarray(Image.fromarray(rgb).convert("L"))[..., None]


@pytest.fixture
def pictures(tmp_path):
    """`{kind: (path, expected RGB)}`, each file in a class folder of its own."""
    written = {}
    for kind, write in (("deep", sixteen_bit), ("palette", palette)):
        (tmp_path / "tree" / kind).mkdir(parents=True)
        path = tmp_path / "tree" / kind / f"{kind}.png"
        written[kind] = path, write(path)
    return written


@pytest.mark.parametrize("channels", [3, 1])
def test_every_reader_gets_the_same_pixels(tmp_path, pictures, channels):
    by_class = {}
    splits = from_folder(tmp_path / "tree", size=SIDE, channels=channels, verbose=False)
    for split in (splits.train, splits.test):
        for image, class_id in zip(split.images, split.class_ids):
            by_class[splits.info["classes"][class_id]] = image
    files = [(kind, path.read_bytes) for kind, (path, _) in sorted(pictures.items())]
    decoded = decode_images(files, SIDE, channels=channels, verbose=False)
    for index, (kind, (path, rgb)) in enumerate(sorted(pictures.items())):
        expected = as_channels(rgb, channels)
        readings = {
            "read_image_file": read_image_file(path, channels),
            "bytes": read_image_file(path.read_bytes(), channels),
            "cli": read_image(path, (SIDE, SIDE, channels)),
            "from_folder": by_class[kind],
            "decode_images": decoded[index],
        }
        for reader, reading in readings.items():
            assert reading.dtype == np.uint8, (kind, reader)
            np.testing.assert_array_equal(reading, expected, err_msg=f"{kind} by {reader}")


def test_refusals_name_the_file(tmp_path):
    Image.fromarray(np.ones((4, 4), "float32")).save(tmp_path / "float.tiff")
    with pytest.raises(ValueError, match="float.tiff holds floating-point pixels"):
        read_image_file(tmp_path / "float.tiff")
    deep = np.full((4, 4), 70000, "int32")
    Image.fromarray(deep).save(tmp_path / "deep.tiff")
    with pytest.raises(ValueError, match="holds pixels above 16 bits"):
        read_image_file(tmp_path / "deep.tiff")
    with pytest.raises(ValueError, match="face.jpg is not an image that can be read"):
        open_image_file(b"not an image", name="face.jpg")
    with pytest.raises(ValueError, match="channels"):
        read_image_file(tmp_path / "float.tiff", channels=4)
