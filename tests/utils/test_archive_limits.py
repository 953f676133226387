"""Archive members and array headers that declare more than they hold are refused unread."""

import io
import tarfile
import zipfile

import numpy as np
import pytest

from keras_lord.cli import main
from keras_lord.data import LordData
from keras_lord.datasets import DatasetSource
from keras_lord.saving import load
from keras_lord.utils.archive_limits import (
    MAX_COMPRESSION_RATIO,
    SMALL_MEMBER_BYTES,
    check_member_size,
)

GIB = 2**30


def npz_declaring(path, shape):
    """An `.npz` whose `imgs` header declares `shape` uint8 but holds a few bytes."""
    header = io.BytesIO()
    np.lib.format.write_array_header_2_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": shape}
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("imgs.npy", header.getvalue() + b"\0" * 1000)
        with archive.open("classes.npy", "w") as file:
            np.lib.format.write_array(file, np.zeros(1, "int64"))


def zip_bomb(path, member, expanded):
    """A zip whose `member` expands to `expanded` zero bytes (deflated ~1000x)."""
    chunk = b"\0" * 2**20
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(member, "w", force_zip64=True) as file:
            for _ in range(expanded // len(chunk)):
                file.write(chunk)


def test_an_npz_header_declaring_terabytes_is_refused_before_allocation(tmp_path, capsys):
    npz_declaring(tmp_path / "bomb.npz", (1500, 1000, 1000, 2000))  # 2.7 TiB
    with pytest.raises(ValueError, match=r"declares an array of 2\.7 TiB .* in 1\.\d KiB"):
        LordData.from_npz(tmp_path / "bomb.npz")
    assert (
        main(
            ["cluster", str(tmp_path / "bomb.npz"), "--out", str(tmp_path / "x.npz")]
            + ["--styles-per-class", "2"]
        )
        == 2
    )
    assert "declares an array" in capsys.readouterr().err


def test_a_zip_member_expanding_far_beyond_its_size_is_refused_unread(tmp_path):
    zip_bomb(tmp_path / "faces.zip", "faces/1.png", SMALL_MEMBER_BYTES + 2**20)
    ((name, read),) = DatasetSource(tmp_path, "faces", "the publisher").files("*/*.png")
    with pytest.raises(ValueError, match=r"faces\.zip:faces/1\.png would expand to 65\.0 MiB"):
        read()
    # A Keras file whose config declares more than any config holds.
    zip_bomb(tmp_path / "model.keras", "config.json", SMALL_MEMBER_BYTES + 2**20)
    with pytest.raises(ValueError, match=r"config\.json declares 65\.0 MiB"):
        load(tmp_path / "model.keras")


def test_a_compressed_tar_member_is_bounded_by_the_whole_archive(tmp_path):
    content = b"\0" * (SMALL_MEMBER_BYTES + 2**20)
    with tarfile.open(tmp_path / "images.tar.gz", "w:gz") as archive:
        info = tarfile.TarInfo("images/1.png")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    ((_, read),) = DatasetSource(tmp_path, "images", "the publisher").files("*/*.png")
    with pytest.raises(ValueError, match="more than 100x"):
        read()


@pytest.mark.parametrize(
    "expanded, stored, limit, refused",
    [
        (SMALL_MEMBER_BYTES, 1, None, False),  # small members pass whatever the ratio
        (SMALL_MEMBER_BYTES + 1, (SMALL_MEMBER_BYTES + 1) // MAX_COMPRESSION_RATIO, None, True),
        (4 * GIB, 4 * GIB // MAX_COMPRESSION_RATIO + 1, None, False),  # within the ratio
        (4 * GIB, 18 * 2**20, None, True),  # a 4 GiB member in an 18 MB zip
        (2**20 + 1, 2**20 + 1, 2**20, True),  # over an explicit limit
    ],
)
def test_member_bounds(expanded, stored, limit, refused):
    if refused:
        with pytest.raises(ValueError, match="declares|would expand"):
            check_member_size("a.zip:m", expanded, stored, limit)
    else:
        check_member_size("a.zip:m", expanded, stored, limit)
