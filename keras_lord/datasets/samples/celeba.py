"""A sample of CelebA: aligned JPEGs and annotation files, as published or as Kaggle's."""

import os
import zipfile

import numpy as np

CELEBA_LANDMARK_HEADER = (
    "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y "
    "leftmouth_x leftmouth_y rightmouth_x rightmouth_y"
)


def write_celeba_sample(
    folder: str | os.PathLike,
    identities: int = 6,
    images_per_identity: int = 3,
    layout: str = "published",
) -> str:
    """Writes CelebA's files: aligned JPEGs and the annotation files, as published or as Kaggle's.

    `layout="published"` writes the aligned 178x218 JPEGs to `img_align_celeba/` and
    `img_align_celeba.zip`, the identities, attributes and landmarks to `Anno/`, the
    partition to `Eval/`. `layout="kaggle"` writes them as Kaggle's copy of CelebA has
    them: the JPEGs in `img_align_celeba/img_align_celeba/`, the attributes, landmarks and
    partition as `.csv` files with a header line, and no identity file. Image `k` of
    identity `n` (numbered from 100) is grey 20 with its centre 128x128 square (what the
    loader's crop keeps) at shade `40 * n % 240`; its five landmarks lie at the square's
    corners and centre, moved right by `k` pixels. Files are named `000001.jpg` on.

    Args:
        folder: where to write; created if missing.
        identities: identities.
        images_per_identity: images of each identity.
        layout: `"published"` or `"kaggle"`.

    Returns:
        `folder`.

    Raises:
        ValueError: for another `layout`.

    Example:
    ```python
    folder = keras_lord.datasets.samples.write_celeba_sample("/tmp/celeba")
    splits = keras_lord.datasets.celeba(folder, size=32, held_out=2)
    ```

    """
    from PIL import Image

    if layout not in ("published", "kaggle"):
        raise ValueError(f"layout must be 'published' or 'kaggle', not {layout!r}.")
    kaggle = layout == "kaggle"
    images_dir = os.path.join(folder, *["img_align_celeba"] * (2 if kaggle else 1))
    os.makedirs(images_dir, exist_ok=True)
    count = identities * images_per_identity
    rows = {"identities": [], "attributes": [], "landmarks": [], "partition": []}
    points = [(25, 45), (153, 45), (89, 109), (25, 173), (153, 173)]
    for index in range(count):
        identity, shift = divmod(index, images_per_identity)
        name = f"{index + 1:06d}.jpg"
        face = np.full((218, 178, 3), 20, "uint8")
        face[45:173, 25:153] = 40 * identity % 240
        Image.fromarray(face).save(os.path.join(images_dir, name), quality=95)
        rows["identities"].append([name, 100 + identity])
        rows["attributes"].append([name, *(1 if (index >> bit) & 1 else -1 for bit in range(40))])
        rows["landmarks"].append([name, *(value for x, y in points for value in (x + shift, y))])
        rows["partition"].append([name, index % 3])
    attribute_names = [f"attribute_{index}" for index in range(40)]
    if kaggle:
        tables = {
            "list_attr_celeba.csv": (["image_id", *attribute_names], rows["attributes"]),
            "list_landmarks_align_celeba.csv": (
                ["image_id", *CELEBA_LANDMARK_HEADER.split()],
                rows["landmarks"],
            ),
            "list_eval_partition.csv": (["image_id", "partition"], rows["partition"]),
        }
        for name, (header, table) in tables.items():
            lines = [",".join(map(str, row)) for row in [header, *table]]
            with open(os.path.join(folder, name), "w") as file:
                file.write("\n".join(lines) + "\n")
        return os.fspath(folder)
    with zipfile.ZipFile(os.path.join(folder, "img_align_celeba.zip"), "w") as archive:
        for name, _ in rows["identities"]:
            archive.write(os.path.join(images_dir, name), f"img_align_celeba/{name}")
    files = {
        ("Anno", "identity_CelebA.txt"): [[], rows["identities"]],
        ("Anno", "list_attr_celeba.txt"): [
            [str(count), " ".join(attribute_names)],
            rows["attributes"],
        ],
        ("Anno", "list_landmarks_align_celeba.txt"): [
            [str(count), CELEBA_LANDMARK_HEADER],
            rows["landmarks"],
        ],
        ("Eval", "list_eval_partition.txt"): [[], rows["partition"]],
    }
    for (part, name), (header, table) in files.items():
        os.makedirs(os.path.join(folder, part), exist_ok=True)
        # Right-aligned columns, as the publisher's files have them.
        lines = [*header, *(row[0] + "".join(f"{value:>5}" for value in row[1:]) for row in table)]
        with open(os.path.join(folder, part, name), "w") as file:
            file.write("\n".join(lines) + "\n")
    return os.fspath(folder)
