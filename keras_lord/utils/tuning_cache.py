"""Choices measured once per machine, kept in a JSON file so later processes reuse them."""

import hashlib
import json
import os
import platform
import warnings
from collections.abc import Callable

import keras

from keras_lord.utils.cpu import cpu_flags
from keras_lord.utils.files import write_json

# Where the file lives; unset, `~/.cache/keras_lord` (or `$XDG_CACHE_HOME/keras_lord`).
CACHE_DIR_VARIABLE = "KERAS_LORD_CACHE_DIR"
# Settings that change which kernels a backend runs, so a choice measured under one of them
# does not hold under another.
_KERNEL_SETTINGS = (
    "TF_ENABLE_ONEDNN_OPTS",
    "ONEDNN_MAX_CPU_ISA",
    "XLA_FLAGS",
    "OMP_NUM_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "TF_NUM_INTRAOP_THREADS",
)


def cache_directory() -> str:
    """The folder of keras-lord's per-machine measurements.

    Returns:
        `$KERAS_LORD_CACHE_DIR` if set, else `$XDG_CACHE_HOME/keras_lord`, else
        `~/.cache/keras_lord`.

    Example:
    ```python
    print(keras_lord.utils.tuning_cache.cache_directory())
    ```

    """
    if os.environ.get(CACHE_DIR_VARIABLE):
        return os.environ[CACHE_DIR_VARIABLE]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "keras_lord")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_description() -> dict:
    """What a measured choice depends on: devices, CPU, cores, backend, kernel settings.

    A GPU's choices are not a CPU's, nor another GPU's: the accelerators the backend
    computes on are part of it.

    Returns:
        A JSON-serialisable dict; two processes with equal descriptions share choices.

    Example:
    ```python
    print(keras_lord.utils.tuning_cache.machine_description()["cpu"])
    ```

    """
    backend = keras.backend.backend()
    module = __import__(backend)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    from keras_lord.backend import accelerator_names

    return {
        "accelerators": accelerator_names(),
        "cpu": _cpu_model(),
        "cpu_flags": hashlib.sha1(" ".join(sorted(cpu_flags())).encode()).hexdigest()[:12],
        "cores": cores,
        "backend": f"{backend} {getattr(module, '__version__', '')}".strip(),
        "settings": {name: os.environ[name] for name in _KERNEL_SETTINGS if name in os.environ},
    }


class TuningCache:
    """Measured choices of one kind (e.g. input gradients), per machine, in a JSON file.

    The file maps a digest of `machine_description()` to that machine's description and
    entries, so a home folder shared between machines keeps each machine's choices apart.
    Writes are atomic. A file that cannot be read is left as it is (with a warning), and
    the choices measured meanwhile are kept in memory only.

    Args:
        name: the file's name without `.json`, e.g. `"input_gradients"`.
        directory: the folder; `None` reads `cache_directory()` at each load.

    Example:
    ```python
    cache = TuningCache("input_gradients")
    choice = cache.get("same:float32:(32, 16, 16, 64):(3, 3, 64, 64)")
    ```

    """

    def __init__(self, name: str, directory: str | None = None):
        self.name = name
        self.directory = directory
        self._entries = None
        self._writable = True

    @property
    def path(self) -> str:
        """The JSON file."""
        return os.path.join(self.directory or cache_directory(), f"{self.name}.json")

    def _machine_key(self) -> str:
        description = json.dumps(machine_description(), sort_keys=True)
        return hashlib.sha1(description.encode()).hexdigest()[:16]

    def _read_file(self) -> dict:
        if not os.path.exists(self.path):
            return {}
        try:
            with open(self.path) as file:
                content = json.load(file)
            if not isinstance(content, dict):
                raise ValueError("not a JSON object")
            return content
        except (OSError, ValueError) as error:
            warnings.warn(
                f"Could not read keras-lord's measured choices from {self.path} ({error}); "
                "measuring again and keeping the results in memory. Delete the file, or set "
                f"{CACHE_DIR_VARIABLE} to another folder, to store them again.",
                stacklevel=3,
            )
            self._writable = False
            return {}

    def _loaded(self) -> dict:
        if self._entries is None:
            self._entries = self._read_file().get(self._machine_key(), {}).get("entries", {})
        return self._entries

    def get(self, key: str) -> dict | None:
        """The entry measured for `key` on this machine, or `None`.

        Args:
            key: what was measured, as a string.

        Returns:
            The dict stored by `put`, or `None`.

        """
        return self._loaded().get(key)

    def put(self, key: str, entry: dict) -> None:
        """Stores an entry for this machine, in memory and (where writable) in the file.

        Args:
            key: what was measured, as a string.
            entry: a JSON-serialisable dict.

        """
        self._loaded()[key] = entry
        if not self._writable:
            return
        content = self._read_file()
        if not self._writable:
            return
        machine = content.setdefault(
            self._machine_key(), {"machine": machine_description(), "entries": {}}
        )
        machine["entries"][key] = entry
        try:
            write_json(self.path, content)
        except OSError as error:
            warnings.warn(
                f"Could not write keras-lord's measured choices to {self.path} ({error}); "
                "keeping them in memory.",
                stacklevel=2,
            )
            self._writable = False

    def faster(self, key: str, time_candidates: Callable[[], dict | None]) -> str | None:
        """The faster of the candidates measured for `key`: read, or timed now and stored.

        Args:
            key: what is measured, as a string.
            time_candidates: called, without arguments, only when `key` has no entry yet:
                returns `{candidate: seconds}`, or `None` where there is nothing to time.

        Returns:
            The candidate with the fewest seconds, or `None` where `time_candidates`
            returned `None` (nothing is stored then).

        Example:
        ```python
        choice = cache.faster("shape", lambda: {"native": 0.2, "forward": 0.1})  # "forward"
        ```

        """
        entry = self.get(key)
        if entry is None:
            seconds = time_candidates()
            if seconds is None:
                return None
            entry = {"choice": min(seconds, key=seconds.get), "seconds": seconds}
            self.put(key, entry)
        return entry["choice"]

    def clear_memory(self) -> None:
        """Forgets what was read, so the next `get` reads the file again."""
        self._entries = None
        self._writable = True
