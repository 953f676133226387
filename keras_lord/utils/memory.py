"""How much memory this machine has, for checks made before large allocations."""

import os


def physical_memory_bytes() -> int | None:
    """The machine's physical memory in bytes, or `None` where the system does not say.

    Returns:
        `SC_PHYS_PAGES x SC_PAGE_SIZE` on POSIX systems, else `None`.

    Example:
    ```python
    physical_memory_bytes() / 2**30  # GiB
    ```

    """
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
