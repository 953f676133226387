"""Several processes that train one run together: who writes, and failing together.

Under `keras.distribution.initialize` (JAX) every process runs the same program on its
own devices, and a step that one process leaves waits for it in the next collective until
the coordination service gives up. A run folder is written by the first process only, and
a check that fails on one process must fail on all of them at once. With one process
these helpers cost nothing and change nothing.
"""

import hashlib
import json

from keras_lord import backend


def is_first_process() -> bool:
    """Whether this process writes the files of a run (the only or the first one).

    Returns:
        `True` for process 0 of several, and for a process training alone.

    Example:
    ```python
    if keras_lord.distribution.is_first_process():
        keras_lord.utils.image_grid.save_png("grid.png", grid)
    ```

    """
    return backend.process_index() == 0


def together(action, what: str):
    """Runs `action()` on every process; if it raises on any, it raises on every one.

    Every process must call it at the same point of the program.

    Args:
        action: a function of no arguments.
        what: what the action does, named in the error of the processes it did not fail on.

    Returns:
        What `action()` returned.

    Raises:
        Exception: `action`'s own error where it raised it.
        RuntimeError: on the other processes, naming the process it failed on.

    Example:
    ```python
    data = keras_lord.distribution.together(
        lambda: LordData.from_npz("/shared/faces.npz"), "reading the data"
    )
    ```

    """
    try:
        result = action()
    except Exception:
        backend.values_of_processes(1)
        raise
    failed = backend.values_of_processes(0)
    if any(failed):
        raise RuntimeError(
            f"{what} failed on process {failed.index(1)}; its output says why. Every process "
            "stops here so that none waits for it."
        )
    return result


def check_same_on_every_process(value, what: str) -> None:
    """Raises on every process unless all of them hold the same JSON-serialisable value.

    Args:
        value: this process's value (e.g. what it read from the run folder).
        what: what the value is, named in the error.

    Raises:
        ValueError: if any process holds a different value.

    Example:
    ```python
    keras_lord.distribution.check_same_on_every_process(
        data_fingerprint(data), "training data"
    )
    ```

    """
    text = json.dumps(value, sort_keys=True, default=str)
    # A 31-bit digest: `values_of_processes` exchanges whole numbers.
    digest = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") >> 1
    digests = backend.values_of_processes(digest)
    if len(set(digests)) > 1:
        raise ValueError(
            f"The processes training together see different {what} (digests by process: "
            f"{digests}): give every process the same data and one shared run folder."
        )
