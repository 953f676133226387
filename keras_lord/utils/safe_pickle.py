"""Reads pickled dicts of numpy arrays without executing arbitrary pickle code."""

import io
import pickle

_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("collections", "OrderedDict"),
}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"Refusing to load {module}.{name}: only numpy arrays and plain containers "
                "are allowed in weight files."
            )
        return super().find_class(module, name)


def load_array_pickle(path) -> dict:
    """Loads a pickle that may contain only numpy arrays, numbers, strings and containers.

    Args:
        path: path of the pickle file.

    Returns:
        The unpickled object.

    Raises:
        pickle.UnpicklingError: if the file references any other Python object (which a
            normal `pickle.load` would import and possibly execute).

    """
    with open(path, "rb") as file:
        return _ArrayUnpickler(io.BytesIO(file.read())).load()
