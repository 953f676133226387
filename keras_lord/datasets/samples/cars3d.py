"""A sample of Cars3D: `nips2015-analogy-data.tar.gz` and the mesh files it holds."""

import io
import os
import tarfile

import numpy as np

from keras_lord.datasets.cars3d import NUM_AZIMUTHS, NUM_ELEVATIONS

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
