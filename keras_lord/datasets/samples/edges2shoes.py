"""A sample of edges2shoes: `edges2shoes.tar.gz`, each JPEG an edge map left of its photo."""

import io
import os
import tarfile

import numpy as np


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
