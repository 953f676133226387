"""Reads PyTorch state-dict files (`torch.save`) as numpy arrays, without PyTorch.

Weights published for PyTorch (the FID Inception's, for one) come as `torch.save` files:
a pickle whose tensors point at raw storages, in a zip archive (PyTorch 1.6 and later) or
one after the other behind the pickle (the older format). Unpickling them with `pickle`
would import and run whatever the file names; this reader admits only the names a state
dict uses (`OrderedDict`, the tensor and parameter rebuilders, the storage types) and maps
them to numpy. Each storage's declared size is checked against the bytes the file really
holds before anything is allocated.
"""

import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np

# The `*Storage` types a tensor's storage is pickled as, and their numpy element types.
_STORAGE_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
# `torch.save`'s older format starts with this number, pickled.
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _StorageType:
    def __init__(self, name):
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


class _Storage:
    """A storage named in the pickle; its numbers are read once the file's layout allows."""

    def __init__(self, dtype, numel):
        self.dtype, self.numel, self.data = dtype, numel, None


class _Tensor:
    """A tensor of the pickle: a strided view of a storage, made an array at the end."""

    def __init__(self, storage, offset, size, stride, *unused):
        self.storage, self.offset = storage, int(offset)
        self.size, self.stride = tuple(size), tuple(stride)

    def array(self) -> np.ndarray:
        flat = self.storage.data
        if not self.size:
            return flat[self.offset].copy()
        last = self.offset + sum((n - 1) * step for n, step in zip(self.size, self.stride))
        if min(self.size) > 0 and (self.offset < 0 or last >= flat.size):
            raise ValueError(f"a tensor of shape {self.size} reaches past its storage")
        strides = [step * flat.itemsize for step in self.stride]
        return np.array(np.lib.stride_tricks.as_strided(flat[self.offset :], self.size, strides))


def _parameter(tensor, *unused):
    return tensor


_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _Tensor,
    ("torch._utils", "_rebuild_parameter"): _parameter,
    **{("torch", name): _StorageType(name) for name in _STORAGE_DTYPES},
}


class _StateDictUnpickler(pickle.Unpickler):
    def __init__(self, file):
        super().__init__(file)
        self.storages = {}

    def find_class(self, module, name):
        if (module, name) not in _GLOBALS:
            raise pickle.UnpicklingError(
                f"Refusing to load {module}.{name}: a PyTorch weight file may hold only "
                "tensors in (ordered) dicts."
            )
        return _GLOBALS[(module, name)]

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise pickle.UnpicklingError(f"Unexpected persistent id {pid!r} in a weight file.")
        storage_type, key, numel = pid[1], str(pid[2]), int(pid[4])
        if not isinstance(storage_type, _StorageType) or numel < 0:
            raise pickle.UnpicklingError(f"Unexpected storage {pid!r} in a weight file.")
        if key not in self.storages:
            self.storages[key] = _Storage(storage_type.dtype, numel)
        return self.storages[key]


def _arrays(value):
    if isinstance(value, _Tensor):
        return value.array()
    if isinstance(value, dict):
        return {key: _arrays(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_arrays(item) for item in value)
    return value


def _read_zip(path):
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        pickles = [name for name in names if name.endswith("/data.pkl") or name == "data.pkl"]
        if len(pickles) != 1:
            raise ValueError(f"{path} is a zip file but not a PyTorch checkpoint (no data.pkl).")
        prefix = pickles[0][: -len("data.pkl")]
        if prefix + "byteorder" in names and archive.read(prefix + "byteorder") != b"little":
            raise ValueError(f"{path} holds big-endian tensors, which are not supported.")
        with archive.open(pickles[0]) as file:
            unpickler = _StateDictUnpickler(io.BytesIO(file.read()))
        state = unpickler.load()
        for key, storage in unpickler.storages.items():
            entry = f"{prefix}data/{key}"
            if entry not in names:
                raise ValueError(f"{path} lacks the storage {key!r} its tensors use.")
            declared = storage.numel * storage.dtype.itemsize
            if archive.getinfo(entry).file_size != declared:
                raise ValueError(
                    f"{path}: storage {key!r} holds {archive.getinfo(entry).file_size} bytes; "
                    f"its tensors declare {declared}."
                )
            storage.data = np.frombuffer(archive.read(entry), storage.dtype)
    return _arrays(state)


def _read_legacy(path):
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        try:
            magic = _StateDictUnpickler(file).load()
        except (pickle.UnpicklingError, EOFError, ValueError):
            magic = None
        if magic != _LEGACY_MAGIC:
            raise ValueError(f"{path} is not a PyTorch checkpoint (`torch.save` file).")
        _StateDictUnpickler(file).load()  # the format's version
        _StateDictUnpickler(file).load()  # the writer's byte order and type sizes
        unpickler = _StateDictUnpickler(file)
        state = unpickler.load()
        # The storages follow the pickle, each a little-endian int64 count and its numbers.
        for key in _StateDictUnpickler(file).load():
            storage = unpickler.storages.get(str(key))
            count = file.read(8)
            if len(count) < 8:
                raise ValueError(f"{path} is cut off: storage {key!r} is missing.")
            (numel,) = struct.unpack("<q", count)
            if storage is None or numel != storage.numel:
                raise ValueError(f"{path}: storage {key!r} does not match its tensors.")
            nbytes = numel * storage.dtype.itemsize
            if nbytes > size - file.tell():
                raise ValueError(f"{path} is cut off: storage {key!r} is incomplete.")
            storage.data = np.frombuffer(file.read(nbytes), storage.dtype)
    if any(storage.data is None for storage in unpickler.storages.values()):
        raise ValueError(f"{path} is cut off: some tensors have no storage.")
    return _arrays(state)


def read_torch_state_dict(path: str | os.PathLike) -> dict:
    """Reads the tensors of a PyTorch state-dict file as numpy arrays.

    Args:
        path: a file written by `torch.save(module.state_dict(), path)`, in the zip
            format or the one before it.

    Returns:
        `{name: np.ndarray}` in the file's order, tensors in PyTorch's layout (e.g. a
        convolution's weight as `(out, in, height, width)`).

    Raises:
        ValueError: for a file that is not such a checkpoint, is cut off, or declares
            more numbers than it holds.
        pickle.UnpicklingError: for a file that names any other Python object.

    Example:
    ```python
    weights = read_torch_state_dict("pt_inception-2015-12-05-6726825d.pth")
    weights["Conv2d_1a_3x3.conv.weight"].shape  # (32, 3, 3, 3)
    ```

    """
    path = os.fspath(path)
    state = _read_zip(path) if zipfile.is_zipfile(path) else _read_legacy(path)
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict.")
    return state
