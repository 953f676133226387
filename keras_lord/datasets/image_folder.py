"""A user's own images: a folder with one sub-folder per class, or files listed in a CSV."""

import csv
import os

import numpy as np
from PIL import Image

from keras_lord.data.image_files import open_image_file
from keras_lord.datasets.resizing import run_in_threads
from keras_lord.datasets.splits import (
    DatasetSplits,
    held_out_rows,
    keep_rows_in_place,
    split_by_rows,
)

IMAGE_ENDINGS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def _load_pictures(paths, size, channels, skip_unreadable, verbose):
    """Decodes and resizes each image straight into the output, one image per thread.

    Memory is the output plus one decoded image per thread, however large the files.
    """
    images = np.empty((len(paths), size, size, channels), "uint8")
    readable = np.ones(len(paths), bool)

    def decode(index):
        try:
            picture = open_image_file(paths[index], channels)
        except ValueError as error:
            if not skip_unreadable:
                raise ValueError(
                    f"{error} Pass --skip-unreadable (skip_unreadable=True) to leave it out."
                ) from error
            readable[index] = False
            return
        if picture.size != (size, size):
            picture = picture.resize((size, size), Image.BOX)
        images[index] = np.asarray(picture).reshape(size, size, channels)

    run_in_threads(decode, len(paths), verbose, label="image")
    if not readable.any():
        raise ValueError("None of the images could be read.")
    skipped = [os.fspath(paths[index]) for index in np.flatnonzero(~readable)]
    return keep_rows_in_place(images, readable), np.flatnonzero(readable), skipped


def read_label_csv(csv_path: str | os.PathLike, image_root: str | os.PathLike = None) -> dict:
    """Reads and checks a CSV with a header `file,class[,content]`.

    Args:
        csv_path: the CSV file.
        image_root: folder the `file` paths are relative to (default: the CSV's folder).

    Returns:
        `{"paths": [...], "classes": [...], "contents": [...] or None}`, a row each.

    Raises:
        FileNotFoundError: if the CSV does not exist.
        ValueError: naming the file and line, for a CSV without `file` and `class` columns,
            one listing no images, a row without a file, class (or content, where the
            column exists), or an image listed twice (which would put one image in both
            splits).

    Example:
    ```python
    listed = read_label_csv("labels.csv")  # listed["paths"][0], listed["classes"][0]
    ```

    """
    csv_path = os.fspath(csv_path)
    if not os.path.isfile(csv_path):
        raise FileNotFoundError(f"Label file {csv_path!r} does not exist.")
    image_root = os.fspath(image_root) if image_root else os.path.dirname(csv_path)
    listed = {"paths": [], "classes": [], "contents": []}
    first_line = {}
    with open(csv_path, newline="") as file:
        reader = csv.DictReader(file)
        columns = reader.fieldnames or []
        if not {"file", "class"} <= set(columns):
            raise ValueError(
                f"{csv_path} needs a header with `file` and `class` columns (and optionally "
                f"`content`); found {list(columns)}."
            )
        wanted = ("file", "class", "content") if "content" in columns else ("file", "class")
        for row in reader:
            where = f"{csv_path}, line {reader.line_num}"
            empty = [column for column in wanted if not (row.get(column) or "").strip()]
            if empty:
                raise ValueError(f"{where}: no {' or '.join(empty)}; every row needs one.")
            path = os.path.normpath(os.path.join(image_root, row["file"]))
            if path in first_line:
                raise ValueError(
                    f"{where} lists {row['file']!r} again (first on line {first_line[path]}): "
                    "an image listed twice could be both a training and a held-out image; "
                    "list each image once, under one class."
                )
            first_line[path] = reader.line_num
            listed["paths"].append(path)
            listed["classes"].append(row["class"])
            listed["contents"].append(row.get("content"))
    if not listed["paths"]:
        raise ValueError(f"{csv_path} lists no images.")
    if "content" not in columns:
        listed["contents"] = None
    return listed


def csv_files(csv_path: str | os.PathLike, image_root: str | os.PathLike = None) -> list:
    """The files `from_csv` reads: the CSV and the images it lists.

    Args:
        csv_path: the CSV file.
        image_root: folder the `file` paths are relative to (default: the CSV's folder).

    Returns:
        Their paths.

    Raises:
        FileNotFoundError: if the CSV does not exist.
        ValueError: for a CSV `read_label_csv` refuses.

    """
    return [os.fspath(csv_path)] + read_label_csv(csv_path, image_root)["paths"]


def _split(images, class_ids, content_ids, names, held_out, seed, info):
    test_rows = held_out_rows(len(images), held_out, seed)
    info = dict(info, classes=list(names), split=f"{held_out:.0%} of images, seed {seed}")
    return split_by_rows(images, class_ids, content_ids, test_rows, len(names), info)


def from_folder(
    directory: str | os.PathLike,
    size: int = 64,
    channels: int = 3,
    held_out: float = 0.1,
    seed: int = 0,
    skip_unreadable: bool = False,
    verbose: bool = True,
) -> DatasetSplits:
    """Reads `directory/<class name>/<image>` into splits; class ids follow sorted names.

    Args:
        directory: the folder; each sub-folder is a class.
        size: image side after resizing (images are squashed to a square).
        channels: 3 (RGB) or 1 (grayscale).
        held_out: share of the images held out, chosen with `seed`.
        seed: seed of the held-out choice.
        skip_unreadable: leave out files that are not readable images (listed in the info)
            instead of stopping at the first one.
        verbose: progress output.

    Returns:
        The `DatasetSplits`.

    Raises:
        FileNotFoundError: if the folder does not exist.
        ValueError: if it holds no class folders or no images, or an image is unreadable.

    Example:
    ```python
    splits = keras_lord.datasets.from_folder("photos/")  # photos/alice/1.jpg, photos/bob/...
    ```

    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{directory} is not a folder of class sub-folders.")
    names = sorted(
        name for name in os.listdir(directory) if os.path.isdir(os.path.join(directory, name))
    )
    paths, labels = [], []
    for class_id, name in enumerate(names):
        for file_name in sorted(os.listdir(os.path.join(directory, name))):
            if file_name.lower().endswith(IMAGE_ENDINGS):
                paths.append(os.path.join(directory, name, file_name))
                labels.append(class_id)
    if not paths:
        raise ValueError(
            f"{directory} holds no images in class sub-folders (one folder per class, "
            f"holding {', '.join(IMAGE_ENDINGS)} files)."
        )
    images, kept, skipped = _load_pictures(paths, size, channels, skip_unreadable, verbose)
    info = {"dataset": "folder", "source": directory, "size": size, "skipped": skipped}
    return _split(images, np.asarray(labels)[kept], None, names, held_out, seed, info)


def from_csv(
    csv_path: str | os.PathLike,
    image_root: str | os.PathLike = None,
    size: int = 64,
    channels: int = 3,
    held_out: float = 0.1,
    seed: int = 0,
    skip_unreadable: bool = False,
    verbose: bool = True,
) -> DatasetSplits:
    """Reads images listed in a CSV with a header `file,class[,content]`.

    Class (and content) labels may be any strings; they are numbered in sorted order.

    Args:
        csv_path: the CSV file.
        image_root: folder the `file` paths are relative to (default: the CSV's folder).
        size: image side after resizing.
        channels: 3 (RGB) or 1 (grayscale).
        held_out: share of the images held out.
        seed: seed of the held-out choice.
        skip_unreadable: leave out unreadable images (listed in the info).
        verbose: progress output.

    Returns:
        The `DatasetSplits`.

    Raises:
        FileNotFoundError: if the CSV or a listed image does not exist.
        ValueError: for a CSV `read_label_csv` refuses, or an unreadable image.

    Example:
    ```python
    splits = keras_lord.datasets.from_csv("labels.csv")  # file,class
    ```

    """
    listed = read_label_csv(csv_path, image_root)
    paths = listed["paths"]
    missing = [path for path in paths if not os.path.exists(path)]
    if missing and not skip_unreadable:
        raise FileNotFoundError(
            f"{len(missing)} images listed in {csv_path} do not exist, e.g. {missing[0]}."
        )
    names, labels = np.unique(listed["classes"], return_inverse=True)
    contents = None
    if listed["contents"] is not None:
        _, contents = np.unique(listed["contents"], return_inverse=True)
    images, kept, skipped = _load_pictures(paths, size, channels, skip_unreadable, verbose)
    info = {"dataset": "csv", "source": csv_path, "size": size, "skipped": skipped}
    return _split(
        images,
        labels[kept],
        None if contents is None else contents[kept],
        names.tolist(),
        held_out,
        seed,
        info,
    )
