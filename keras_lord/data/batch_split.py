"""How the distribution set with `keras.distribution` splits each global batch."""

import dataclasses

import keras


@dataclasses.dataclass(frozen=True)
class BatchSplit:
    """How one global batch is split over devices and processes.

    Args:
        devices: the pieces the batch is cut into along the mesh's batch axis (1 without a
            distribution).
        process_slices: how many different slices of the batch the processes feed (Keras'
            JAX trainer builds the global batch from each process's local rows).
        process_slice: which of them this process feeds.

    """

    devices: int = 1
    process_slices: int = 1
    process_slice: int = 0

    @property
    def distributed(self) -> bool:
        """Whether the batch is split at all."""
        return self.devices > 1 or self.process_slices > 1

    def check(self, batch_size: int, num_samples: int) -> None:
        """Raises unless every global batch of `batch_size` splits evenly.

        Args:
            batch_size: the global batch size given to `fit`.
            num_samples: the number of training samples.

        Raises:
            ValueError: if the batch does not divide over the devices or the processes, or
                there are fewer samples than one batch.

        """
        if not self.distributed:
            return
        for count, what in ((self.devices, "devices"), (self.process_slices, "processes")):
            if batch_size % count:
                raise ValueError(
                    f"The global batch of {batch_size} does not divide over the distribution's "
                    f"{count} {what}; pass a batch size that is a multiple of {count}."
                )
        if num_samples < batch_size:
            raise ValueError(
                f"{num_samples} samples make no full batch of {batch_size}, and a distributed "
                f"training drops the partial one; pass a batch size of at most {num_samples}."
            )


# The split of a training without a distribution: whole batches, one process.
UNSPLIT = BatchSplit()


def current_batch_split() -> BatchSplit:
    """The split of the distribution set with `keras.distribution.set_distribution`.

    Returns:
        A `BatchSplit`; `BatchSplit()` (no split) when none is set.

    Example:
    ```python
    keras.distribution.set_distribution(keras.distribution.DataParallel())
    keras_lord.distribution.current_batch_split().devices  # all local devices
    ```

    """
    distribution = keras.distribution.distribution()
    if distribution is None:
        return UNSPLIT
    mesh = distribution.device_mesh
    devices = mesh.shape[list(mesh.axis_names).index(distribution.batch_dim_name)]
    # Processes of one model replica (a model axis across hosts) feed the same rows.
    slices = min(distribution.num_model_replicas, distribution.num_processes)
    return BatchSplit(
        devices=int(devices),
        process_slices=int(slices),
        process_slice=int(distribution.data_shard_id),
    )
