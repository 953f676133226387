"""Cars3D (Reed et al., 2015): 183 car models rendered at 24 azimuths and 4 elevations."""

import io
import os

import numpy as np

from keras_lord.datasets.resizing import resize_images, run_in_threads
from keras_lord.datasets.sources import DatasetSource, reading_order
from keras_lord.datasets.splits import DatasetSplits, held_out_classes, split_by_rows

PUBLISHED_AT = (
    "http://www.scottreed.info/files/nips2015-analogy-data.tar.gz (Reed et al., Deep Visual "
    "Analogy-Making, NeurIPS 2015)"
)
NUM_AZIMUTHS = 24
NUM_ELEVATIONS = 4


def _read_mesh(name, content, source) -> np.ndarray:
    from scipy.io import loadmat

    try:
        renders = loadmat(io.BytesIO(content))["im"]
    except KeyError as error:
        raise ValueError(f"{name} has no `im` array; it is not a Cars3D mesh file.") from error
    except Exception as error:  # scipy raises several types for a damaged .mat
        raise source.damaged(name, error) from error
    if renders.ndim != 5 or renders.shape[2:] != (3, NUM_AZIMUTHS, NUM_ELEVATIONS):
        raise ValueError(
            f"{name}: `im` has shape {renders.shape}; Cars3D's is (128, 128, 3, 24, 4)."
        )
    # (H, W, 3, azimuth, elevation) -> (elevation, azimuth, H, W, 3)
    return np.transpose(renders, (4, 3, 0, 1, 2)).astype("uint8")


def cars3d(
    data_dir: str | os.PathLike,
    size: int = 64,
    held_out: int = 20,
    seed: int = 0,
    verbose: bool = True,
) -> DatasetSplits:
    """Cars3D: class = car model, content = elevation x 24 + azimuth (96 views).

    Args:
        data_dir: `nips2015-analogy-data.tar.gz`, or the folder it extracts to (holding
            `data/cars/car_*_mesh.mat`), or a folder holding either.
        size: image side after resizing (the paper's 64).
        held_out: car models held out (the paper's 20 of 183), chosen with `seed`.
        seed: seed of the held-out choice (recorded in the output).
        verbose: progress output.

    Returns:
        The `DatasetSplits`; a car's class id is its place in the sorted file names.

    Raises:
        DatasetFileError: if no mesh file is found.
        ValueError: if a file is damaged or not a Cars3D mesh file.

    Example:
    ```python
    splits = keras_lord.datasets.cars3d("downloads/nips2015-analogy-data.tar.gz")
    ```

    """
    source = DatasetSource(data_dir, "Cars3D", PUBLISHED_AT)
    meshes = source.files("*cars/car_*_mesh.mat")
    views = NUM_ELEVATIONS * NUM_AZIMUTHS
    images = np.empty((len(meshes) * views, size, size, 3), "uint8")

    order = reading_order(meshes)

    def read_car(position):
        # One car's renders at a time: the full-size set (860 MB) is never held whole.
        car = order[position]
        name, read = meshes[car]
        render = _read_mesh(name, read(), source)
        resized = resize_images(render.reshape((views,) + render.shape[2:]), size, False, 1)
        images[car * views : (car + 1) * views] = resized

    run_in_threads(read_car, len(meshes), verbose, label="car")
    class_ids = np.repeat(np.arange(len(meshes)), views)
    content_ids = np.tile(np.arange(views), len(meshes))
    test_classes = held_out_classes(len(meshes), held_out, seed)
    info = {
        "dataset": "cars3d",
        "source": PUBLISHED_AT,
        "files": [name for name, _ in meshes],
        "class": "car model (index in the sorted file names)",
        "content": "elevation x 24 + azimuth (96 views)",
        "split": f"{held_out} car models held out, seed {seed}",
        "held_out_classes": test_classes.tolist(),
        "seed": seed,
        "size": size,
    }
    return split_by_rows(
        images,
        class_ids,
        content_ids,
        np.isin(class_ids, test_classes),
        len(meshes),
        info,
    )
