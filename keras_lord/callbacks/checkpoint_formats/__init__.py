"""What a `ResumableCheckpoint` writes each epoch's training state as, by name.

`CHECKPOINT_FORMATS` is the one registry: `state.json` records the name of the format that
wrote its checkpoint, which reads it back.
"""

from keras_lord.callbacks.checkpoint_formats.base import CheckpointFormat, several_processes
from keras_lord.callbacks.checkpoint_formats.orbax_state import OrbaxState
from keras_lord.callbacks.checkpoint_formats.weights_file import WeightsFile

# The formats hold no state: one object of each serves every checkpoint.
CHECKPOINT_FORMATS = {format_.name: format_ for format_ in (WeightsFile(), OrbaxState())}


def checkpoint_format(name: str) -> CheckpointFormat:
    """The format called `name`; `"auto"`: Orbax under several processes, else weights files.

    Args:
        name: `"auto"` or a key of `CHECKPOINT_FORMATS`.

    Returns:
        The format.

    Raises:
        ValueError: for an unknown name.

    """
    if name == "auto":
        name = OrbaxState.name if several_processes() else WeightsFile.name
    if name not in CHECKPOINT_FORMATS:
        raise ValueError(
            f"`file_format` must be one of {['auto', *CHECKPOINT_FORMATS]}; got {name!r}."
        )
    return CHECKPOINT_FORMATS[name]


__all__ = [
    "CHECKPOINT_FORMATS",
    "CheckpointFormat",
    "OrbaxState",
    "WeightsFile",
    "checkpoint_format",
]
