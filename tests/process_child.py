"""One of two processes that train a tiny trainer together with JAX on localhost.

Run by `tests/distribution/test_multi_device.py`: each process has 2 virtual CPU devices
(`XLA_FLAGS`), joins the other through `keras.distribution.initialize`, and trains with the
layout of `keras-lord train --distribution model` over all 4 devices: each device trains on
its share of each batch and holds a quarter of the content table's rows, so no process
holds the table whole. Prints nothing; writes a JSON report.

- `train`: one step on one batch and one epoch, as `distributed_child.py` trains them on 4
  devices of one process, then the report (its share of the batch, the batch order a
  trainer without a seed would draw); then 3 epochs with a `ResumableCheckpoint` in
  CHECKPOINT, during which process 1 is killed (SIGKILL) as the third epoch begins.
- `resume`: a new trainer resumes that checkpoint for the third epoch and is saved to
  CHECKPOINT.trainer.keras. With PROCESS_ID `alone`, one process on 4 devices resumes
  it, without `keras.distribution.initialize`.

Usage: python process_child.py MODE PROCESS_ID PORT OUTPUT.json CHECKPOINT
"""

import json
import os
import signal
import sys

import jax
import keras
import numpy as np
from conftest import tiny_trainer
from distributed_child import BATCH, CONTENT_DIM

import keras_lord
from keras_lord.callbacks import ResumableCheckpoint
from keras_lord.data import SyntheticObjects

EPOCHS = 3


def kill_process_1_at_the_third_epoch(epoch, logs):
    if epoch == EPOCHS - 1 and jax.process_index() == 1:
        os.kill(os.getpid(), signal.SIGKILL)


def main(mode, process_id, port, output, checkpoint_folder):
    if process_id != "alone":
        keras.distribution.initialize(
            job_addresses=f"127.0.0.1:{port}", num_processes=2, process_id=int(process_id)
        )
    layout = keras_lord.distribution.DISTRIBUTION_CHOICES.get("model")
    keras.distribution.set_distribution(layout.make(jax.devices()))
    data = SyntheticObjects(num_classes=5, num_azimuths=12, num_elevations=2, seed=5).data()
    inputs = data.inputs()
    trainer = tiny_trainer(data, content_dim=CONTENT_DIM)
    trainer.compile()
    checkpoint = ResumableCheckpoint(checkpoint_folder)
    if mode == "resume":
        history = trainer.fit(
            inputs, batch_size=BATCH, epochs=EPOCHS, callbacks=[checkpoint], verbose=0
        )
        # Every process calls `save`; the first writes the file, the split table made whole.
        trainer.save(f"{checkpoint_folder}.trainer.keras")
        report = {"resumed_epochs": history.epoch, "resumed_loss": history.history["loss"]}
        with open(output, "w") as file:
            json.dump(report, file)
        return
    first = {key: value[:BATCH] for key, value in inputs.items()}
    step = trainer.fit(first, batch_size=BATCH, epochs=1, verbose=0).history["loss"]
    epoch = trainer.fit(inputs, batch_size=BATCH, epochs=1, verbose=0).history["loss"]
    split = keras_lord.distribution.current_batch_split()
    content = trainer.tables.tables["content"].embeddings.value
    # What the demo's evaluation does: each process on its own, the split table read whole.
    with keras_lord.backend.held_on_this_process(trainer.variables):
        table = trainer.tables.table("content")
        grid = trainer.translate_samples(first, first)
    report = {
        "whole_table": [list(table.shape), float(np.abs(table).sum())],
        "grid": [list(grid.shape), float(grid.sum())],
        "content_rows_after": sum(shard.data.shape[0] for shard in content.addressable_shards),
        "devices": [len(jax.devices()), len(jax.local_devices())],
        "split": [split.devices, split.process_slices, split.process_slice],
        "content_rows_here": sum(shard.data.shape[0] for shard in content.addressable_shards),
        "step_loss": step[0],
        "epoch_loss": epoch[0],
        "unseeded_shuffle_seed": tiny_trainer(data, seed=None).shuffle_seed,
    }
    with open(output, "w") as file:
        json.dump(report, file)
    killer = keras.callbacks.LambdaCallback(on_epoch_begin=kill_process_1_at_the_third_epoch)
    trainer.fit(inputs, batch_size=BATCH, epochs=EPOCHS, callbacks=[checkpoint, killer], verbose=0)


if __name__ == "__main__":
    main(*sys.argv[1:])
