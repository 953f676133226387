"""Finding and reading a dataset's files, inside archives or extracted."""

import io
import tarfile

import numpy as np
from PIL import Image

from keras_lord.datasets import sources
from keras_lord.datasets.resizing import decode_images


def test_tar_members_are_read_in_one_pass_in_the_archives_order(tmp_path, monkeypatch):
    order = np.random.default_rng(0).permutation(120)
    written = {}
    with tarfile.open(tmp_path / "shuffled.tar.gz", "w:gz") as archive:
        for value in order:
            buffer = io.BytesIO()
            Image.fromarray(np.full((6, 6), value, "uint8")).save(buffer, "PNG")
            info = tarfile.TarInfo(f"images/{value:04d}.png")
            info.size = buffer.tell()
            archive.addfile(info, io.BytesIO(buffer.getvalue()))
            written[info.name] = buffer.getvalue()
    opened = []
    original_open = sources.tarfile.open
    monkeypatch.setattr(
        sources.tarfile, "open", lambda *a, **k: opened.append(a) or original_open(*a, **k)
    )
    files = sources.DatasetSource(tmp_path / "shuffled.tar.gz", "t", "here").files("*.png")
    assert [name for name, _ in files] == [f"images/{value:04d}.png" for value in range(120)]
    images = decode_images(files, 3, None, 1, verbose=False, workers=4)
    np.testing.assert_array_equal(images[:, 1, 1, 0], np.arange(120))
    assert len(opened) == 2, "one pass lists the members, one reads them"
    # Asked again, a member read in the pass that ended is read in a new pass, each time
    # the bytes the archive holds.
    for passes in (3, 4):
        assert files[5][1]() == written["images/0005.png"] and len(opened) == passes
