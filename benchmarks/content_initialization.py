"""Stage 1 of the demo with the content table started from the images instead of at random.

    KERAS_BACKEND=tensorflow python benchmarks/content_initialization.py --seed 0 \\
        --variant random --variant pca:1.0 --variant pca:0.3

The demo's training objects (`keras_lord.demo.synthetic_split`: 24 objects x 12 views, body
plan 0.3, 32x32) train stage 1 as the demo does (20 epochs, batch 8, `small`, the "auto"
table rate). `random` keeps LORD's initial content codes (uniform in +-0.05); `pca:S`
starts them at the first `content_dim` principal-component scores of the images minus
their class's mean image (`ClassCentredPCA`, the default start), scaled to a root mean
square of `S` (the fixed noise added in training has std 1; the default is 0.3). Scored
through the tables on training objects every 5 epochs (content transfer LPIPS on 200 fixed
pairs, next to the copy baselines), then logistic probes of the content codes for the view
(what transfer needs) and the class (leakage). A grid per variant (8 objects x 8 views of
the first object) is written to `--out`: LPIPS cannot tell one average pose per object from
poses that follow the content image; the grids can.
"""

# keras-lord before keras: it chooses TensorFlow's and XLA's CPU kernels, which they fix
# when they load (docs/performance.md, "A CPU that shows only AVX2").
import keras_lord  # noqa: F401

# isort: split
import argparse
import os
import time

import keras
import numpy as np
from compare_checkouts import cpu_flags
from time_to_quality import emit_report

from keras_lord import LordTrainer
from keras_lord.callbacks import TransferEvaluation
from keras_lord.demo import synthetic_split
from keras_lord.evaluation import probe_accuracy
from keras_lord.tables.content_initialization import ClassCentredPCA
from keras_lord.utils.image_grid import save_png, translation_grid


def table_grid(trainer, data, content):
    classes = [np.flatnonzero(data.class_ids == label)[0] for label in np.unique(data.class_ids)]
    classes = classes[:8]
    views = np.flatnonzero(data.class_ids == data.class_ids[0])[:8]
    ids = {"class_id": data.class_ids, "sample_id": np.arange(data.num_samples)}
    class_codes = keras.ops.convert_to_numpy(trainer.tables.codes(ids)["class_code"])
    rows = [
        trainer.decode(np.repeat(class_codes[[i]], len(views), 0), content[views]) for i in classes
    ]
    return translation_grid(data.images[classes], data.images[views], np.stack(rows))


def run_variant(name, train, seed, arguments):
    trainer = LordTrainer(
        train.num_classes,
        train.num_samples,
        image_shape=train.image_shape,
        preset="small",
        seed=seed,
    )
    trainer.compile(content_initialization="random")
    kind, _, scale = name.partition(":")
    if kind == "pca":
        start = ClassCentredPCA(scale=float(scale))
        trainer.initialize_content_codes(train.inputs(), start, verbose=0)
    evaluation = TransferEvaluation(train, 5, 200, training_rows=True)
    start = time.perf_counter()
    trainer.fit(
        train.inputs(), batch_size=8, epochs=arguments.epochs, verbose=0, callbacks=[evaluation]
    )
    seconds = time.perf_counter() - start
    content = keras.ops.convert_to_numpy(trainer.content_embedding.embeddings)
    path = os.path.join(arguments.out, f"seed{seed}_{name.replace(':', '_')}.png")
    save_png(path, table_grid(trainer, train, content), scale=2)
    return {
        "train_seconds": round(seconds, 1),
        "lpips_by_epoch": {row["epoch"]: round(row["lpips"], 4) for row in evaluation.history},
        "copy_baselines": evaluation.baselines,
        "view_from_content_codes": probe_accuracy(content, train.content_ids),
        "class_from_content_codes": probe_accuracy(content, train.class_ids),
        "grid": path,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/keras-lord-content-init")
    parser.add_argument("--variant", action="append", default=None, help="random or pca:SCALE")
    parser.add_argument("--seed", type=int, action="append", default=None)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--json", help="also write the report here")
    arguments = parser.parse_args()
    os.makedirs(arguments.out, exist_ok=True)
    _, train, _ = synthetic_split(verbose=0)
    report = {"backend": keras.backend.backend(), "cpu_flags": cpu_flags(), "seeds": {}}
    for seed in arguments.seed or [0]:
        report["seeds"][str(seed)] = {
            name: run_variant(name, train, seed, arguments)
            for name in arguments.variant or ["random", "pca:1.0"]
        }
    emit_report(report, arguments.json)


if __name__ == "__main__":
    main()
