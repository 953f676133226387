"""`keras-lord ARGS...` that SIGKILLs itself at one write or deletion: a crash test's child.

Usage: `python kill_child.py WHEN:ENDING ARGS...`, WHEN one of

- `during`: the write whose destination ends with ENDING is cut off: keras-lord writes
  through `os.replace` (`keras_lord.utils.files.atomic_path`), so the temporary file is
  cut to half its size, which is what a process killed while writing leaves, and the
  process dies before the rename;
- `after`: the process dies just after that rename;
- `remove`: the process dies just before it removes a file whose path ends with ENDING;
- `removed`: just after.

The first matching write or deletion of the process is the one killed.
"""

import os
import signal
import sys


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def kill_in_write(ending: str, when: str) -> None:
    """Makes the first `os.replace` onto a path ending with `ending` kill the process."""
    replace = os.replace

    def replace_then_maybe_die(source, destination, *args, **kwargs):
        if os.fspath(destination).endswith(ending):
            if when == "during":
                with open(source, "r+b") as file:
                    file.truncate(os.path.getsize(source) // 2)
                die()
            replace(source, destination, *args, **kwargs)
            die()
        return replace(source, destination, *args, **kwargs)

    os.replace = replace_then_maybe_die


def kill_in_removal(ending: str, when: str) -> None:
    """Makes the first `os.remove` of a path ending with `ending` kill the process."""
    remove = os.remove

    def remove_and_maybe_die(path, *args, **kwargs):
        if os.fspath(path).endswith(ending):
            if when == "remove":
                die()
            remove(path, *args, **kwargs)
            die()
        return remove(path, *args, **kwargs)

    os.remove = remove_and_maybe_die


def arm(point: str) -> None:
    """Arms the kill at `WHEN:ENDING`."""
    when, ending = point.split(":", 1)
    if when in ("during", "after"):
        kill_in_write(ending, when)
    elif when in ("remove", "removed"):
        kill_in_removal(ending, when)
    else:
        raise ValueError(f"Unknown kill point {point!r}.")


if __name__ == "__main__":
    arm(sys.argv[1])
    from keras_lord.cli import main

    sys.exit(main(sys.argv[2:]))
