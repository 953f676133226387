"""An exclusive lock on a run folder, so two runs never write into one."""

import json
import os
import socket
import time

LOCK_FILE = "run.lock"
# A lock file still empty this long after it was made belongs to no starting run.
_UNWRITTEN_LOCK_SECONDS = 10.0


class RunLockedError(RuntimeError):
    """Another live process holds the run folder's lock."""


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock:
    """Holds `run.lock` in a folder for the duration of a `with` block.

    The lock file names the process and host that hold it. A lock whose process no longer
    runs on this host (a run that was killed) is stale and taken over.

    Args:
        directory: the run folder (created if missing).

    Raises:
        RunLockedError: on entry, if a live process (or one on another host) holds the lock.

    Example:
    ```python
    with RunLock("runs/faces"):
        ...  # train, write files
    ```

    """

    def __init__(self, directory):
        self.directory = os.fspath(directory)
        self.path = os.path.join(self.directory, LOCK_FILE)
        self.owner = {"pid": os.getpid(), "host": socket.gethostname()}

    def _holder(self):
        try:
            with open(self.path) as file:
                return json.load(file)
        except (OSError, ValueError):
            return None

    def _is_stale(self, holder) -> bool:
        if holder is None:
            try:
                age = time.time() - os.path.getmtime(self.path)
            except OSError:
                return True
            return age > _UNWRITTEN_LOCK_SECONDS
        if holder.get("host") != self.owner["host"]:
            return False
        return not _process_alive(int(holder.get("pid", -1)))

    def __enter__(self):
        os.makedirs(self.directory, exist_ok=True)
        while True:
            try:
                descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                holder = self._holder()
                if not self._is_stale(holder):
                    who = (
                        f"process {holder['pid']} on {holder['host']}"
                        if holder
                        else "a process that is starting"
                    )
                    raise RunLockedError(
                        f"{self.directory} is in use by {who}: one run per folder. Wait for "
                        f"it to end or stop it; if it does not run any more, remove {self.path}."
                    ) from None
                os.remove(self.path)
                continue
            with os.fdopen(descriptor, "w") as file:
                json.dump(self.owner, file)
            return self

    def __exit__(self, *exception):
        if self._holder() == self.owner:
            os.remove(self.path)
        return False
