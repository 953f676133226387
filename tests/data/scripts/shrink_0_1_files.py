"""Zeroes the large encoder arrays of the 0.1 fixtures and stores every array gzip-compressed."""

import io
import os
import sys
import zipfile

import h5py
import numpy as np

LIMIT = 100_000


def copy_h5(source, target):
    def visit(name, obj):
        if isinstance(obj, h5py.Group):
            group = target.require_group(name)
            for k, v in obj.attrs.items():
                group.attrs[k] = v
        else:
            data = obj[()]
            if ("encoder" in name and data.size > 1000) or (
                name.startswith("optimizer/optimizers/adam/") and data.size > 20000
            ):
                data = np.zeros_like(data)
            target.create_dataset(name, data=data, **({"compression": "gzip"} if data.ndim else {}))
            for k, v in obj.attrs.items():
                target[name].attrs[k] = v

    for k, v in source.attrs.items():
        target.attrs[k] = v
    source.visititems(visit)


def shrink_h5(path):
    with h5py.File(path) as source, h5py.File(path + ".tmp", "w") as target:
        copy_h5(source, target)
    os.replace(path + ".tmp", path)


def shrink_keras(path):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO()
    with (
        h5py.File(io.BytesIO(members["model.weights.h5"])) as source,
        h5py.File(buffer, "w") as target,
    ):
        copy_h5(source, target)
    members["model.weights.h5"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


for path in sys.argv[1:]:
    (shrink_keras if path.endswith(".keras") else shrink_h5)(path)
    print(path, os.path.getsize(path))
