"""Bounds on what a member of an archive may expand to, checked before it is read.

A zip member declares its size; a crafted one declares gigabytes in a file of kilobytes
(a zip bomb), and reading it whole ends in a `MemoryError`. Image and array data compress
by a small factor, so a member that would expand far beyond what it stores is refused
before any of it is read.
"""

import zipfile

import numpy as np

# A member this small is read whatever its compression: no harm fits below it.
SMALL_MEMBER_BYTES = 64 * 2**20
# Above that, at most this many bytes out per byte stored: pixels and arrays compress far
# less (all-black images about 1,000x, but those are not 64 MiB of useful data).
MAX_COMPRESSION_RATIO = 100


def _size(count: int) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def check_member_size(name: str, expanded: int, stored: int, limit: int | None = None) -> None:
    """Refuses a member that would expand beyond `limit` or by more than the ratio allows.

    Args:
        name: what messages call the member (archive and member name).
        expanded: the size the member declares, uncompressed.
        stored: the bytes it takes in the archive (for a compressed tar, the whole archive).
        limit: the most bytes such a member may hold, if any.

    Raises:
        ValueError: naming the member, both sizes and the bound.

    Example:
    ```python
    info = archive.getinfo("images/1.png")
    check_member_size("faces.zip:images/1.png", info.file_size, info.compress_size)
    ```

    """
    if limit is not None and expanded > limit:
        raise ValueError(
            f"{name} declares {_size(expanded)}, more than the {_size(limit)} such a member "
            "holds: the file is damaged or not what it claims to be."
        )
    if expanded > SMALL_MEMBER_BYTES and expanded > MAX_COMPRESSION_RATIO * max(stored, 1):
        raise ValueError(
            f"{name} would expand to {_size(expanded)} from {_size(stored)} stored, more than "
            f"{MAX_COMPRESSION_RATIO}x: keras-lord does not read such a member (a zip bomb "
            "or a damaged file). Extract and check it, or use the publisher's original file."
        )


def read_zip_member(archive: zipfile.ZipFile, member: str, name: str, limit=None) -> bytes:
    """`archive.read(member)`, after `check_member_size`.

    Args:
        archive: the open zip.
        member: the member's name in it.
        name: what messages call it.
        limit: the most bytes it may hold, if any.

    Returns:
        Its bytes.

    Raises:
        ValueError: for a member over the bounds.
        KeyError: if there is no such member.

    """
    info = archive.getinfo(member)
    check_member_size(name, info.file_size, info.compress_size, limit)
    return archive.read(info)


def check_npy_member(archive: zipfile.ZipFile, member: str, name: str) -> None:
    """Refuses an `.npy` member of an `.npz` whose header declares more than it holds.

    NumPy allocates the array its header declares before reading the data, so a header of
    a 2.8 TiB array in 1 kB of file fails with a `MemoryError`; this reads the header only.

    Args:
        archive: the open zip (`NpzFile.zip`).
        member: the member, e.g. `"imgs.npy"`.
        name: what messages call it.

    Raises:
        ValueError: for a member over `check_member_size`'s bounds, or a header declaring
            more bytes than the member holds.

    """
    info = archive.getinfo(member)
    check_member_size(name, info.file_size, info.compress_size)
    try:
        with archive.open(info) as file:
            version = np.lib.format.read_magic(file)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(file)
    except (ValueError, EOFError, SyntaxError, OSError, zipfile.BadZipFile):
        return  # not a plain array header: NumPy's own reading says what is wrong
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if not dtype.hasobject and declared > info.file_size:
        raise ValueError(
            f"{name} declares an array of {_size(declared)} ({dtype} {tuple(shape)}) in "
            f"{_size(info.file_size)}: the file is damaged or crafted. Write it again with "
            "`np.savez`."
        )
