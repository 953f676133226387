"""CelebA (Liu et al., 2015): 202,599 aligned faces of 10,177 identities.

With 40 binary attributes and 5 landmarks per image.
"""

import os

import numpy as np

from keras_lord.datasets.resizing import centre_square, decode_images
from keras_lord.datasets.sources import DatasetFileError, DatasetSource
from keras_lord.datasets.splits import DatasetSplits, held_out_classes, split_by_rows
from keras_lord.datasets.tfds_source import find_prepared, read_prepared

PUBLISHED_AT = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
CROP = 128  # the centre square kept of the 178x218 aligned images, as the reference code
# TFDS's splits of celeb_a are the official partition: 0 train, 1 validation, 2 test.
TFDS_SPLITS = ("train", "validation", "test")
LANDMARKS = ("lefteye", "righteye", "nose", "leftmouth", "rightmouth")


def _lines(source, pattern):
    (name, read), *_ = source.files(pattern)
    try:
        return name, read().decode("utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise source.damaged(name, error) from error


def _table(source, stem: str, numbers: int, header_lines: int):
    """`{image stem: row of numbers}` from an annotation file, header lines skipped.

    The publisher's `<stem>.txt` separates by spaces after `header_lines` lines; Kaggle's
    copy of CelebA has `<stem>.csv` files instead, comma-separated after one header line.
    """
    try:
        name, lines = _lines(source, f"*{stem}.txt")
        separator, skip = None, header_lines
    except DatasetFileError:
        try:
            name, lines = _lines(source, f"*{stem}.csv")
        except DatasetFileError:
            raise source.missing(f"{stem}.txt (or Kaggle's {stem}.csv)") from None
        separator, skip = ",", 1
    rows = {}
    for number, line in enumerate(lines[skip:], start=skip + 1):
        fields = [field.strip() for field in line.split(separator)]
        if not any(fields):
            continue
        try:
            values = [int(value) for value in fields[1:]]
        except ValueError as error:
            raise ValueError(f"{name}, line {number}: {line!r} is not a row of numbers.") from error
        if len(values) != numbers:
            raise ValueError(
                f"{name}, line {number}: {len(values)} values where {numbers} belong; the "
                "file is damaged."
            )
        rows[os.path.splitext(fields[0])[0]] = values
    return rows


def _optional(source, stem, numbers, header_lines):
    try:
        return _table(source, stem, numbers, header_lines)
    except DatasetFileError:
        return None


def _identities(source) -> dict:
    try:
        return _table(source, "identity_CelebA", 1, 0)
    except DatasetFileError:
        raise DatasetFileError(
            f"{source.missing('identity_CelebA.txt')} CelebA's classes are its identities, "
            "which only this file holds; copies such as Kaggle's leave it out. Take it from "
            "the `Anno` folder of the publisher's files and put it into the data folder."
        ) from None


def _read_published(data_dir) -> dict:
    source = DatasetSource(data_dir, "CelebA", PUBLISHED_AT)
    identities = _identities(source)
    try:
        images = source.files("*img_align_celeba/*.jpg")
    except DatasetFileError:
        images = source.files("*img_align_celeba_png/*.png")
    by_stem = {os.path.splitext(os.path.basename(name))[0]: (name, read) for name, read in images}
    stems = sorted(identities)
    missing = [stem for stem in stems if stem not in by_stem]
    if missing:
        raise ValueError(
            f"identity_CelebA.txt lists {len(missing)} images that are not among the "
            f"{len(by_stem)} image files, e.g. {missing[0]}; the download is incomplete."
        )
    record = {
        "source": PUBLISHED_AT,
        "files": [by_stem[stem] for stem in stems],
        "identity": np.array([identities[stem][0] for stem in stems]),
    }
    attributes = _optional(source, "list_attr_celeba", 40, 2)
    if attributes is not None:
        record["attributes"] = np.array([attributes[stem] for stem in stems], "int8")
    landmarks = _optional(source, "list_landmarks_align_celeba", 10, 2)
    if landmarks is not None:
        record["landmarks"] = np.array([landmarks[stem] for stem in stems], "float32")
    partition = _optional(source, "list_eval_partition", 1, 0)
    if partition is not None:
        record["partition"] = np.array([partition[stem][0] for stem in stems], "int8")
    return record


def _read_tfds(directory, verbose) -> dict:
    splits = read_prepared(directory, verbose=verbose)
    if "identity/Identity_No" not in next(iter(splits.values()), {}):
        raise ValueError(
            f"The TFDS celeb_a in {directory} has no identities (they came with celeb_a "
            "2.1.0); prepare celeb_a 2.1.0 or later, or pass the published files."
        )
    parts = [split for split in TFDS_SPLITS if split in splits]
    if not parts:
        raise DatasetFileError(
            f"The TFDS celeb_a in {directory} has none of the splits {TFDS_SPLITS}; prepare "
            "it again with `tfds build celeb_a`."
        )
    columns = {
        key: np.concatenate([splits[split][key] for split in parts]) for key in splits[parts[0]]
    }
    # CelebA lists its 40 attributes in alphabetical order.
    attribute_keys = sorted(key for key in columns if key.startswith("attributes/"))
    landmark_keys = [f"landmarks/{point}_{axis}" for point in LANDMARKS for axis in "xy"]
    return {
        "source": f"TFDS celeb_a, {directory}",
        "files": [
            (f"{directory}: example {index}", lambda content=content: content)
            for index, content in enumerate(columns["image"])
        ],
        "identity": columns["identity/Identity_No"],
        "attributes": np.stack([columns[key] for key in attribute_keys], 1).astype("int8") * 2 - 1,
        "landmarks": np.stack([columns[key] for key in landmark_keys], 1).astype("float32"),
        "partition": np.concatenate(
            [np.full(len(splits[part]["image"]), TFDS_SPLITS.index(part), "int8") for part in parts]
        ),
    }


def celeba(
    data_dir: str | os.PathLike,
    size: int = 64,
    held_out: int = 1000,
    seed: int = 0,
    verbose: bool = True,
) -> DatasetSplits:
    """CelebA: class = identity, no content labels; `held_out` identities held out.

    The aligned 178x218 images are centre-cropped to 128x128 (as the reference code does)
    and resized. Attributes, landmarks (moved into the crop and scaled to `size`) and the
    official partition are kept as extra arrays when their files are present.

    Args:
        data_dir: a folder holding `img_align_celeba/` (JPEGs), `img_align_celeba.zip` or the
            PNG set `img_align_celeba_png/`, and `identity_CelebA.txt` (the `Anno/` folder);
            `list_attr_celeba.txt`, `list_landmarks_align_celeba.txt` and
            `list_eval_partition.txt` are read when present, or the `.csv` files of the
            same names that Kaggle's copy has instead (that copy lacks the identities: add
            `identity_CelebA.txt` from the publisher's files). Or TFDS's prepared `celeb_a`
            (2.1.0 or later: a TFDS data dir, or its `celeb_a/` or version folder), whose
            splits are the official partition.
        size: image side after resizing (the paper's 64).
        held_out: identities held out (the paper's 1,000 of 10,177), chosen with `seed`.
        seed: seed of the held-out choice (recorded in the output).
        verbose: progress output.

    Returns:
        The `DatasetSplits`, with extras `attributes` `(N, 40)` int8 in {-1, 1},
        `landmarks` `(N, 5, 2)` float32 pixel coordinates, and `partition` `(N,)` when their
        files are present.

    Raises:
        DatasetFileError: if the images or the identity file are missing.
        ValueError: for a damaged image or annotation file, or an image listed without a
            file.

    Example:
    ```python
    splits = keras_lord.datasets.celeba("downloads/celeba")
    ```

    """
    prepared = find_prepared(data_dir, "celeb_a")
    record = _read_tfds(prepared, verbose) if prepared else _read_published(data_dir)
    unique_identities, class_ids = np.unique(record["identity"], return_inverse=True)
    pixels = decode_images(record["files"], size, centre_square(CROP), 3, verbose)
    extras = {key: record[key] for key in ("attributes", "partition") if key in record}
    if "landmarks" in record:
        points = record["landmarks"].reshape(-1, 5, 2)
        offset = np.array([(178 - CROP) // 2, (218 - CROP) // 2], "float32")
        extras["landmarks"] = (points - offset) * (size / CROP)
    test_classes = held_out_classes(len(unique_identities), held_out, seed)
    info = {
        "dataset": "celeba",
        "source": record["source"],
        "class": "identity (CelebA's identity number, numbered in sorted order)",
        "content": "none",
        "crop": f"centre {CROP}x{CROP} of the aligned 178x218 images, then resized",
        "split": f"{held_out} identities held out, seed {seed}",
        "held_out_identities": unique_identities[test_classes].tolist(),
        "seed": seed,
        "size": size,
    }
    return split_by_rows(
        pixels,
        class_ids.reshape(-1),
        None,
        np.isin(class_ids, test_classes).reshape(-1),
        len(unique_identities),
        info,
        extras,
    )
