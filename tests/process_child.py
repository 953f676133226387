"""One of two processes that train a tiny trainer together with JAX on localhost.

Run by `tests/distribution/test_multi_device.py`: each process has 2 virtual CPU devices
(`XLA_FLAGS`), joins the other through `keras.distribution.initialize`, and trains with
`DataParallel` over all 4 devices what `distributed_child.py` trains as `data` on 4 devices
of one process: one step on one batch, then one epoch. Prints nothing; writes its losses,
its share of the batch, the batch order a trainer without a seed would draw, and how a
`ResumableCheckpoint` refuses to write from several processes.

Usage: python process_child.py PROCESS_ID PORT OUTPUT.json
"""

import json
import sys

import jax
import keras
from conftest import tiny_trainer
from distributed_child import BATCH, CONTENT_DIM

import keras_lord
from keras_lord.callbacks import ResumableCheckpoint
from keras_lord.data import SyntheticObjects


def main(process_id, port, output):
    keras.distribution.initialize(
        job_addresses=f"127.0.0.1:{port}", num_processes=2, process_id=int(process_id)
    )
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=jax.devices()))
    data = SyntheticObjects(num_classes=5, num_azimuths=12, num_elevations=2, seed=5).data()
    inputs = data.inputs()
    first = {key: value[:BATCH] for key, value in inputs.items()}
    trainer = tiny_trainer(data, content_dim=CONTENT_DIM)
    trainer.compile()
    step = trainer.fit(first, batch_size=BATCH, epochs=1, verbose=0).history["loss"]
    epoch = trainer.fit(inputs, batch_size=BATCH, epochs=1, verbose=0).history["loss"]
    try:
        checkpoint = ResumableCheckpoint(f"{output}.checkpoint")
        trainer.fit(inputs, batch_size=BATCH, epochs=2, callbacks=[checkpoint], verbose=0)
        refusal = None
    except ValueError as error:
        refusal = str(error)
    split = keras_lord.distribution.current_batch_split()
    report = {
        "devices": [len(jax.devices()), len(jax.local_devices())],
        "split": [split.devices, split.process_slices, split.process_slice],
        "step_loss": step[0],
        "epoch_loss": epoch[0],
        "unseeded_shuffle_seed": tiny_trainer(data, seed=None).shuffle_seed,
        "checkpoint_refusal": refusal,
    }
    with open(output, "w") as file:
        json.dump(report, file)


if __name__ == "__main__":
    main(*sys.argv[1:])
