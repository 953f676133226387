"""Tiny datasets in their publishers' own layouts, for smoke runs and tests.

Each writer puts a few synthetic images into a folder exactly as the publisher ships the
dataset (file names, archive and file formats), so that the real loader reads it. Every
pixel of a sample image names its labels (e.g. a car's red channel is its id times 40),
which lets a test check that the loader assigned each image its class and content.
"""

import gzip
import io
import os
import tarfile
import zipfile

import numpy as np

from keras_lord.datasets.cars3d import NUM_AZIMUTHS, NUM_ELEVATIONS
from keras_lord.datasets.norb_format import write_norb_matrix
from keras_lord.datasets.smallnorb import PARTS

CARS3D_ARCHIVE = "nips2015-analogy-data.tar.gz"


def car_renders(car: int, size: int = 8) -> np.ndarray:
    """`(size, size, 3, 24, 4)` renders of a sample car, as a Cars3D mesh file holds them.

    Red is `car * 40`, green `azimuth * 10`, blue `elevation * 60`.

    Args:
        car: the car's index.
        size: image side.

    Returns:
        The `uint8` renders.

    """
    renders = np.zeros((size, size, 3, NUM_AZIMUTHS, NUM_ELEVATIONS), "uint8")
    renders[:, :, 0] = car * 40
    renders[:, :, 1] = (np.arange(NUM_AZIMUTHS) * 10)[:, None]
    renders[:, :, 2] = (np.arange(NUM_ELEVATIONS) * 60)[None, :]
    return renders


def mat_file(**arrays) -> bytes:
    """The bytes of a MATLAB `.mat` file holding `arrays` (as Cars3D's mesh files)."""
    from scipy.io import savemat

    buffer = io.BytesIO()
    savemat(buffer, arrays)
    return buffer.getvalue()


def write_cars3d_sample(folder: str | os.PathLike, num_cars: int = 5, size: int = 8) -> str:
    """Writes `nips2015-analogy-data.tar.gz` and the folder it extracts to, for `num_cars`.

    Args:
        folder: where to write; created if missing.
        num_cars: car models (at most 6, so that the red channel stays in range).
        size: image side of the renders.

    Returns:
        The archive's path; `folder/extracted` holds `data/cars/car_XXX_mesh.mat`.

    Raises:
        ValueError: for more than 6 cars.

    Example:
    ```python
    archive = keras_lord.datasets.samples.write_cars3d_sample("/tmp/cars")
    splits = keras_lord.datasets.cars3d(archive, size=32, held_out=2)
    ```

    """
    if not 1 <= num_cars <= 6:
        raise ValueError(f"`num_cars` must lie in [1, 6]; got {num_cars}.")
    extracted = os.path.join(folder, "extracted", "data", "cars")
    os.makedirs(extracted, exist_ok=True)
    archive_path = os.path.join(folder, CARS3D_ARCHIVE)
    with tarfile.open(archive_path, "w:gz") as archive:
        for car in range(num_cars):
            name = f"car_{car + 1:03d}_mesh.mat"
            content = mat_file(im=car_renders(car, size))
            with open(os.path.join(extracted, name), "wb") as file:
                file.write(content)
            info = tarfile.TarInfo(f"data/cars/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return archive_path


def smallnorb_part(part: str, pairs: int, seed: int, size: int = 12) -> dict:
    """The three matrices of a SmallNORB part: stereo pairs, categories and info.

    The pairs cover a grid of factors, each combination once before any repeats: the
    part's five instances of the official split (4, 6, 7, 8, 9 for training, 0, 1, 2, 3, 5
    for testing; the k-th in category k), elevations 0 - 1, azimuths 0, 2 and 4 (as the
    files store them) and lightings 0 - 1, in a seeded order. Camera 0 shows
    `azimuth * 7`, camera 1 its inverse.

    Args:
        part: `"training"` or `"testing"`.
        pairs: stereo pairs in the part (60 covers the grid).
        seed: seed of the order.
        size: image side.

    Returns:
        `{"dat": (pairs, 2, size, size) uint8, "cat": (pairs,) int32, "info": (pairs, 4)
        int32}`; `info` holds instance, elevation, azimuth and lighting.

    """
    instances = (4, 6, 7, 8, 9) if part == "training" else (0, 1, 2, 3, 5)
    grid = np.array(
        [
            (category, instance, elevation, azimuth, lighting)
            for category, instance in enumerate(instances)
            for elevation in range(2)
            for azimuth in (0, 2, 4)
            for lighting in range(2)
        ],
        "int32",
    )
    order = np.random.default_rng(seed).permutation(len(grid))
    rows = grid[np.resize(order, pairs)]
    info = rows[:, 1:]
    images = np.zeros((pairs, 2, size, size), "uint8")
    images[:, 0] = (info[:, 2] * 7)[:, None, None]
    images[:, 1] = 255 - (info[:, 2] * 7)[:, None, None]
    return {"dat": images, "cat": rows[:, 0].copy(), "info": info.copy()}


def write_smallnorb_sample(
    folder: str | os.PathLike, pairs_per_part: int = 60, size: int = 12
) -> str:
    """Writes the six SmallNORB files (`-dat.mat.gz` gzipped, as published) into `folder`.

    Args:
        folder: where to write; created if missing.
        pairs_per_part: stereo pairs in the training and in the testing part.
        size: image side.

    Returns:
        `folder`.

    Example:
    ```python
    folder = keras_lord.datasets.samples.write_smallnorb_sample("/tmp/norb")
    splits = keras_lord.datasets.smallnorb(folder, size=32)
    ```

    """
    os.makedirs(folder, exist_ok=True)
    for index, (part, stem) in enumerate(PARTS.items()):
        for kind, array in smallnorb_part(part, pairs_per_part, index, size).items():
            content = write_norb_matrix(array)
            name = f"{stem}-{kind}.mat"
            if kind == "dat":
                content, name = gzip.compress(content), name + ".gz"
            with open(os.path.join(folder, name), "wb") as file:
                file.write(content)
    return os.fspath(folder)


# Video name -> the frame ranges `00sequences.txt` lists for it.
KTH_SEQUENCES = {
    "person01_handwaving_d4": [(1, 4), (6, 9)],
    "person02_handwaving_d4": [(2, 10)],
    "person03_handwaving_d4": [(1, 3)],
    "person03_handwaving_d1": [(1, 12)],
    "person01_boxing_d4": [(3, 5)],
}


def kth_video(person: int, frames: int) -> bytes:
    """An uncompressed 160x120 AVI at 25 fps whose frame k is grey `(20 * person + k) % 256`.

    Args:
        person: the person's number (1 - 25).
        frames: frames in the video.

    Returns:
        The file's bytes (needs PyAV, `pip install 'keras-lord[video]'`).

    """
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="avi") as container:
        stream = container.add_stream("rawvideo", rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "bgr24"
        for number in range(1, frames + 1):
            picture = np.full((120, 160, 3), (20 * person + number) % 256, "uint8")
            container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        container.mux(stream.encode())
    return buffer.getvalue()


def write_kth_sample(
    folder: str | os.PathLike, archived: bool = True, sequences: dict | None = None
) -> str:
    """Writes KTH videos and `00sequences.txt` as published: one zip per action, or extracted.

    Args:
        folder: where to write; created if missing.
        archived: `handwaving.zip`, `boxing.zip`, ... (as published) if true, else the
            `personXX_action_dY_uncomp.avi` files themselves.
        sequences: `{video name: [(first, last), ...]}` (default `KTH_SEQUENCES`); every
            video has 12 frames, or as many as its last listed frame.

    Returns:
        `folder`.

    Example:
    ```python
    folder = keras_lord.datasets.samples.write_kth_sample("/tmp/kth")
    splits = keras_lord.datasets.kth(folder, size=32)
    ```

    """
    sequences = KTH_SEQUENCES if sequences is None else sequences
    os.makedirs(folder, exist_ok=True)
    lines = ["Here is the list of sequences, with the frames of each subsequence:", ""]
    for video, ranges in sequences.items():
        spans = ", ".join(f"{first}-{last}" for first, last in ranges)
        lines.append(f"{video}\t\tframes\t{spans}")
    with open(os.path.join(folder, "00sequences.txt"), "w") as file:
        file.write("\n".join(lines) + "\n")
    archives = {}
    for video, ranges in sequences.items():
        frames = max(12, max(last for _, last in ranges))
        content = kth_video(int(video[6:8]), frames)
        name = f"{video}_uncomp.avi"
        if not archived:
            with open(os.path.join(folder, name), "wb") as file:
                file.write(content)
            continue
        action = video.split("_")[1]
        if action not in archives:
            archives[action] = zipfile.ZipFile(os.path.join(folder, f"{action}.zip"), "w")
        archives[action].writestr(name, content)
    for archive in archives.values():
        archive.close()
    return os.fspath(folder)


def write_edges2shoes_sample(
    folder: str | os.PathLike, train_pairs: int = 4, val_pairs: int = 2, size: int = 64
) -> str:
    """Writes `edges2shoes.tar.gz`: `edges2shoes/{train,val}/N_AB.jpg`, edges left of photos.

    Pair `N` of a part is a dark square on white (left half, the edge map) and a square of
    grey `60 + 10 * (N - 1)` on black at the same place (right half, the photo), so an edge
    map and its photo share their content; the corners are white and black.

    Args:
        folder: where to write; created if missing.
        train_pairs: pairs in `train/` (at most 19).
        val_pairs: pairs in `val/` (at most 19).
        size: side of each half.

    Returns:
        The archive's path.

    Raises:
        ValueError: for more than 19 pairs in a part.

    Example:
    ```python
    archive = keras_lord.datasets.samples.write_edges2shoes_sample("/tmp/shoes")
    splits = keras_lord.datasets.edges2shoes(archive, size=32)
    ```

    """
    from PIL import Image

    if max(train_pairs, val_pairs) > 19:
        raise ValueError("At most 19 pairs per part: their grey levels must stay in range.")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "edges2shoes.tar.gz")
    with tarfile.open(path, "w:gz") as archive:
        for part, count in (("train", train_pairs), ("val", val_pairs)):
            for index in range(count):
                pair = np.zeros((size, 2 * size, 3), "uint8")
                pair[:, :size] = 250
                top = size // 8 + (index * 3) % (size // 2)
                left = size // 8 + (index * 5) % (size // 2)
                box = slice(top, top + size // 3), slice(left, left + size // 3)
                pair[box[0], box[1]] = 20
                pair[:, size:] = 10
                pair[box[0], slice(size + box[1].start, size + box[1].stop)] = 60 + 10 * index
                buffer = io.BytesIO()
                Image.fromarray(pair).save(buffer, format="JPEG", quality=95)
                info = tarfile.TarInfo(f"edges2shoes/{part}/{index + 1}_AB.jpg")
                info.size = len(buffer.getvalue())
                archive.addfile(info, io.BytesIO(buffer.getvalue()))
    return path


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


def write_rafd_sample(
    folder: str | os.PathLike,
    expressions: tuple = ("angry", "happy", "surprised"),
    subjects: int = 3,
    angles: tuple = (45, 90),
    gazes: tuple = ("frontal", "left"),
) -> str:
    """Writes RaFD portraits: 681x1024 JPEGs named `Rafd<angle>_<subject>_..._<gaze>.jpg`.

    One portrait per combination. Each is black outside the face box the loader crops
    (rows 170 to 851), grey 200 inside, with a white bar whose height in the box names the
    expression and a white square whose place across names the subject.

    Args:
        folder: where to write; created if missing.
        expressions: RaFD expression names (`keras_lord.datasets.rafd.EXPRESSIONS`).
        subjects: subjects, numbered from 1.
        angles: camera angles in degrees.
        gazes: gaze names (`frontal`, `left`, `right`).

    Returns:
        `folder`.

    Example:
    ```python
    folder = keras_lord.datasets.samples.write_rafd_sample("/tmp/rafd")
    splits = keras_lord.datasets.rafd(folder, size=32)
    ```

    """
    from PIL import Image

    from keras_lord.datasets.rafd import EXPRESSIONS

    os.makedirs(folder, exist_ok=True)
    for angle in angles:
        for subject in range(1, subjects + 1):
            for expression in expressions:
                for gaze in gazes:
                    portrait = np.zeros((1024, 681, 3), "uint8")
                    portrait[170:851] = 200
                    bar = 200 + 60 * EXPRESSIONS.index(expression)
                    portrait[bar : bar + 60, 60:620] = 255
                    left = 40 + 80 * (subject % 7)
                    portrait[700:780, left : left + 80] = 255
                    name = f"Rafd{angle:03d}_{subject:02d}_Caucasian_female_{expression}_{gaze}.jpg"
                    Image.fromarray(portrait).save(os.path.join(folder, name), quality=95)
    return os.fspath(folder)


def write_anime_sample(folder: str | os.PathLike, count: int = 10) -> str:
    """Writes the Anime-Face-Dataset's `cropped/<n>_<year>.jpg` faces, of varied sizes.

    Face `n` is a flat shade `7 * n % 250`, between 40 and 90 pixels high and 3 wider,
    dated `2000 + n % 20`.

    Args:
        folder: where to write `cropped/`; created if missing.
        count: faces.

    Returns:
        `folder/cropped`.

    Example:
    ```python
    faces = keras_lord.datasets.samples.write_anime_sample("/tmp/anime")
    splits = keras_lord.datasets.anime(faces, size=32)
    ```

    """
    from PIL import Image

    cropped = os.path.join(folder, "cropped")
    os.makedirs(cropped, exist_ok=True)
    sides = (40, 64, 90, 51, 77, 63, 44, 80, 70, 66)
    for index in range(count):
        side = sides[index % len(sides)]
        face = np.full((side, side + 3, 3), 7 * index % 250, "uint8")
        Image.fromarray(face).save(os.path.join(cropped, f"{index}_{2000 + index % 20}.jpg"))
    return cropped
