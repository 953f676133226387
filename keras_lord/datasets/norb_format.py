"""The NORB binary matrix format of the SmallNORB files (optionally gzipped).

A little-endian header: an int32 magic number naming the element type, an int32 number of
dimensions, then max(3, ndim) int32 sizes (unused ones are 1); then the elements.
"""

import gzip
import struct

import numpy as np

ELEMENT_TYPES = {
    0x1E3D4C51: np.dtype("<f4"),
    0x1E3D4C53: np.dtype("<f8"),
    0x1E3D4C54: np.dtype("<i4"),
    0x1E3D4C55: np.dtype("u1"),
    0x1E3D4C56: np.dtype("<i2"),
}


def read_norb_matrix(content: bytes, name: str = "the file") -> np.ndarray:
    """Parses one NORB matrix file.

    Args:
        content: the file's bytes (gzipped or not).
        name: the file's name, for messages.

    Returns:
        The matrix.

    Raises:
        ValueError: for a file that is not a NORB matrix, or one cut short.

    Example:
    ```python
    labels = read_norb_matrix(open("smallnorb-...-training-cat.mat", "rb").read())
    ```

    """
    if content[:2] == b"\x1f\x8b":
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError) as error:
            raise ValueError(f"{name} is a damaged gzip file ({error}).") from error
    if len(content) < 20:
        raise ValueError(f"{name} is too short ({len(content)} bytes) for a NORB matrix.")
    magic, ndim = struct.unpack("<ii", content[:8])
    dtype = ELEMENT_TYPES.get(magic & 0xFFFFFFFF)
    if dtype is None or not 0 < ndim <= 8:
        raise ValueError(f"{name} is not a NORB matrix file (magic number {magic:#x}).")
    stored = max(3, ndim)
    header = 8 + 4 * stored
    if len(content) < header:
        raise ValueError(f"{name} is cut short inside its header ({len(content)} bytes).")
    shape = struct.unpack(f"<{stored}i", content[8:header])[:ndim]
    expected = int(np.prod(shape)) * dtype.itemsize
    if any(size < 0 for size in shape) or len(content) - header < expected:
        raise ValueError(
            f"{name} is cut short: its header says {shape} elements of {dtype} "
            f"({expected} bytes), but {len(content) - header} bytes follow."
        )
    return np.frombuffer(content, dtype=dtype, count=int(np.prod(shape)), offset=header).reshape(
        shape
    )


def write_norb_matrix(array: np.ndarray) -> bytes:
    """Encodes an array as a NORB matrix file (the inverse of `read_norb_matrix`).

    Args:
        array: `uint8`, `int32`, `int16`, `float32` or `float64` values.

    Returns:
        The file's bytes.

    """
    codes = {dtype: magic for magic, dtype in ELEMENT_TYPES.items()}
    array = np.asarray(array)
    dtype = array.dtype.newbyteorder("<") if array.dtype.itemsize > 1 else array.dtype
    shape = list(array.shape) + [1] * (3 - array.ndim)
    header = struct.pack(f"<ii{len(shape)}i", codes[dtype], array.ndim, *shape)
    return header + array.astype(dtype).tobytes()
