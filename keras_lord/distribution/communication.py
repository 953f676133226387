"""What one training step sends between devices, read from the program XLA compiled."""

import dataclasses
import math
import re

import numpy as np

from keras_lord import backend

# Collective operations of XLA's HLO; an asynchronous one is a "-start"/"-done" pair, of
# which the "-start" is counted.
_KINDS = (
    "all-reduce",
    "all-gather",
    "reduce-scatter",
    "all-to-all",
    "collective-permute",
    "collective-broadcast",
)
_COLLECTIVE = re.compile(
    r"=\s*(?P<result>.+?)\s+(?P<kind>" + "|".join(_KINDS) + r")(?P<start>-start)?\("
)
_ARRAY = re.compile(r"\b(?P<dtype>pred|[a-z]+\d+)\[(?P<dims>[\d,]*)\]")
_OPERATION = re.compile(r'op_name="(?P<name>[^"]*)"')


@dataclasses.dataclass(frozen=True)
class Collective:
    """One collective operation of a compiled step.

    Args:
        kind: the HLO operation, e.g. `"all-reduce"` or `"all-gather"`.
        shapes: the shapes of the arrays it produces on each device.
        bytes: their size in bytes, on each device.
        operation: the JAX operation it serves (HLO `op_name`), e.g. `".../scatter"`.

    """

    kind: str
    shapes: tuple
    bytes: int
    operation: str


def parse_collectives(program: str) -> list:
    """The collective operations of an HLO program's text.

    Args:
        program: optimised HLO text (e.g. `jax.jit(f).lower(...).compile().as_text()`).

    Returns:
        A list of `Collective`, in program order.

    Example:
    ```python
    line = '%ag = f32[8,16]{1,0} all-gather(%x), dimensions={0}, metadata={op_name="g"}'
    parse_collectives(line)[0].bytes  # 512
    ```

    """
    collectives = []
    for line in program.splitlines():
        match = _COLLECTIVE.search(line)
        if match is None:
            continue
        arrays = [
            (found["dtype"], tuple(int(size) for size in found["dims"].split(",") if size))
            for found in _ARRAY.finditer(match["result"])
        ]
        if match["start"] and match["kind"] in ("all-gather", "collective-permute"):
            # An asynchronous start returns its operands and then its results.
            arrays = arrays[len(arrays) // 2 :]
        operation = _OPERATION.search(line)
        collectives.append(
            Collective(
                kind=match["kind"],
                shapes=tuple(shape for _, shape in arrays),
                bytes=sum(_itemsize(dtype) * math.prod(shape) for dtype, shape in arrays),
                operation=operation["name"] if operation else "",
            )
        )
    return collectives


def step_communication(trainer, batch) -> list:
    """The collectives one training step runs under the distribution set (JAX).

    Compiles the step `fit` would run on `batch` and reads what it exchanges: with the
    tables split by rows (`layout_map`), a row-wise step sends the batch's rows and their
    gradients, never a whole table; the networks' gradients are all-reduced as in any
    data-parallel training.

    Args:
        trainer: a compiled `LordTrainer`, built under the distribution.
        batch: one global batch, as `fit` feeds it.

    Returns:
        A list of `Collective`; `sum(c.bytes for c in ...)` is what each device receives at
        most per step, before the collective algorithm's own factor (a ring all-reduce
        sends and receives about twice its array).

    Raises:
        NotImplementedError: under a backend other than JAX.

    Example:
    ```python
    collectives = keras_lord.distribution.step_communication(trainer, batch)
    print(sum(c.bytes for c in collectives) / 1e6, "MB per device and step")
    ```

    """
    return parse_collectives(backend.compiled_train_step(trainer, batch))


def _itemsize(dtype: str) -> int:
    if dtype == "pred":
        return 1
    # HLO names its types by width: f32, bf16, s8, u64, ...
    return int(np.ceil(int(re.sub(r"\D", "", dtype)) / 8))
