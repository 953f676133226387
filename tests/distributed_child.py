"""Trains tiny trainers under JAX on 1 and on 4 virtual CPU devices; prints what it measured.

Run by `tests/distribution/test_multi_device.py` in a process of its own, started with
`XLA_FLAGS=--xla_force_host_platform_device_count=4` (JAX reads it once). Every training
starts from the same seed:

- `none` (one device, no distribution), `data` (`DataParallel` on 4 devices) and `model`
  (`ModelParallel` on a 2 x 2 mesh, the content table's rows split with
  `keras_lord.distribution.layout_map`) each take one step on one batch;
- `none` and `data` train two epochs, writing a `ResumableCheckpoint` after the first;
- the collectives of a `model` step are read from its compiled program, and a content
  table of 121 rows, which its 2 row shards cannot split, is refused;
- `model` (4 devices) resumes the checkpoint of `none` (1 device), and a new `none` that
  of `data` (4 devices), each for the second epoch.

Usage: python distributed_child.py OUTPUT.json WORK_FOLDER
"""

import json
import sys

import jax
import keras
from conftest import tiny_trainer

import keras_lord
from keras_lord.callbacks import ResumableCheckpoint
from keras_lord.data import SyntheticObjects

BATCH = 24  # divides the 120 samples, the 4 devices and the 2 x 2 mesh's batch axis
CONTENT_DIM = 20  # no other array of the step is 20 wide: table rows are told apart


def distributions():
    devices = jax.devices()
    mesh = keras.distribution.DeviceMesh((2, 2), ("batch", "model"), devices)
    return {
        "none": None,
        "data": keras.distribution.DataParallel(devices=devices),
        "model": keras.distribution.ModelParallel(
            layout_map=keras_lord.distribution.layout_map(mesh), batch_dim_name="batch"
        ),
    }


def tables(trainer):
    return {
        name: keras.ops.convert_to_numpy(table.embeddings).tolist()
        for name, table in trainer.tables.tables.items()
    }


def main(output, work):
    data = SyntheticObjects(num_classes=5, num_azimuths=12, num_elevations=2, seed=5).data()
    inputs = data.inputs()
    first = {key: value[:BATCH] for key, value in inputs.items()}
    results = {"devices": len(jax.devices()), "samples": len(inputs["image"])}
    layouts = distributions()

    def train(name, resume_from=None):
        keras.distribution.set_distribution(layouts[name])
        trainer = tiny_trainer(data, content_dim=CONTENT_DIM)
        trainer.compile()
        if resume_from is not None:
            checkpoint = ResumableCheckpoint(f"{work}/{resume_from}")
            history = trainer.fit(
                inputs, batch_size=BATCH, epochs=2, callbacks=[checkpoint], verbose=0
            )
            return trainer, {"resumed_loss": history.history["loss"]}
        step = trainer.fit(first, batch_size=BATCH, epochs=1, verbose=0).history
        result = {"step_loss": step["loss"][0], "step_tables": tables(trainer)}
        checkpoint = ResumableCheckpoint(f"{work}/{name}")
        first_epoch = trainer.fit(
            inputs, batch_size=BATCH, epochs=1, callbacks=[checkpoint], verbose=0
        )
        second_epoch = trainer.fit(inputs, batch_size=BATCH, epochs=2, initial_epoch=1, verbose=0)
        result["epoch_losses"] = first_epoch.history["loss"] + second_epoch.history["loss"]
        return trainer, result

    for name in ("none", "data"):
        results[name] = train(name)[1]
    # The model-parallel trainer takes its step, then resumes the one-device checkpoint.
    keras.distribution.set_distribution(layouts["model"])
    trainer = tiny_trainer(data, content_dim=CONTENT_DIM)
    trainer.compile()
    step = trainer.fit(first, batch_size=BATCH, epochs=1, verbose=0).history
    content = trainer.tables.tables["content"].embeddings
    results["model"] = {
        "step_loss": step["loss"][0],
        "step_tables": tables(trainer),
        "content_sharding": list(content.value.sharding.spec),
        "collectives": [
            {"kind": c.kind, "shapes": c.shapes, "bytes": c.bytes}
            for c in keras_lord.distribution.step_communication(trainer, first)
        ],
    }
    try:
        tiny_trainer(data, num_samples=121)
        results["uneven_rows_refusal"] = None
    except ValueError as error:
        results["uneven_rows_refusal"] = str(error)
    history = trainer.fit(
        inputs,
        batch_size=BATCH,
        epochs=2,
        callbacks=[ResumableCheckpoint(f"{work}/none")],
        verbose=0,
    )
    results["none_resumed_on_model"] = history.history["loss"]
    results["data_resumed_on_none"] = train("none", resume_from="data")[1]["resumed_loss"]
    with open(output, "w") as file:
        json.dump(results, file)


if __name__ == "__main__":
    main(*sys.argv[1:])
