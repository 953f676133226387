"""The adversarial synthesis stage against more stage 2, from the same stage-2 trainer.

    KERAS_BACKEND=tensorflow python benchmarks/synthesis_stage.py --seed 0 --seed 1 \\
        --extra-epochs 8 --variant stage2 --variant "adv0.1:adversarial_weight=0.1"

For each seed, the demo's rendered objects (`keras_lord.demo.synthetic_split`: 24 training
and 4 held-out objects x 12 views at 32x32, bodies of one plan) train stages 1 and 2 as the
demo does (`train_run`, 20 + 8 epochs, batch 8). Each variant then goes on from that
trainer for `--extra-epochs` more epochs: `stage2` compiles stage 2 again at the synthesis
stage's rate (`1e-4`), so both spend the same epochs; any other variant runs
`start_synthesis` with its `LordTrainer.compile` options. Every result is scored on the
held-out objects: content transfer (MSE, LPIPS against the exact rendering, 200 fixed pairs)
next to the copy baselines; image quality of all their translations against their real
images, as Frechet distance and KID on ImageNet VGG16 features (`block5_pool`, the offline
weights: FID's Inception weights cannot be downloaded here) and as sharpness (the variance
of the Laplacian of the grey image, relative to the real images': 1 is as sharp, blur is
below); reconstruction LPIPS of training images; wall time. A translation grid of the
held-out objects per variant is written to `--out`. Prints the CPU flags and JSON.
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
from time_to_quality import emit_report, parse_variant

from keras_lord.demo import synthetic_split
from keras_lord.evaluation import content_transfer_error, frechet_distance
from keras_lord.evaluation.image_quality import kernel_inception_distance
from keras_lord.evaluation.transfer import image_errors
from keras_lord.losses import VGGPerceptualLoss
from keras_lord.saving import load_trainer
from keras_lord.training_run import TRAINER_FILE, train_run
from keras_lord.utils.image_grid import save_png, translation_grid

LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], "float32")


def sharpness(images) -> float:
    """Mean variance of the Laplacian of the grey images (floats in [0, 1])."""
    grey = np.asarray(images, "float32").mean(axis=-1)
    height, width = grey.shape[1:]
    response = sum(
        LAPLACIAN[i, j] * grey[:, i : height - 2 + i, j : width - 2 + j]
        for i in range(3)
        for j in range(3)
    )
    return float(response.reshape(len(grey), -1).var(axis=1).mean())


def all_translations(trainer, test):
    """Every held-out object in the content (view) of every held-out image, and the real
    image of that object and view: `(translations, truths, classes, contents)`."""
    images = test.images
    classes = np.unique(test.class_ids)
    first_of = [np.flatnonzero(test.class_ids == label)[0] for label in classes]
    translations = [
        keras.ops.convert_to_numpy(trainer.translate(images[[index] * len(images)], images))
        for index in first_of
    ]
    return np.stack(translations), images, first_of


def vgg_features(extractor, images):
    features = extractor.features(np.asarray(images, "float32"))[-1]
    return keras.ops.convert_to_numpy(features).reshape(len(images), -1)


def score(trainer, train, test, extractor, seconds):
    translations, images, first_of = all_translations(trainer, test)
    flat = translations.reshape((-1,) + translations.shape[2:])
    real = images.astype("float32") / 255.0
    real_features, fake_features = vgg_features(extractor, real), vgg_features(extractor, flat)
    kid = kernel_inception_distance(real_features, fake_features, subset_size=len(real))
    reconstruction = trainer.translate(train.images[:64], train.images[:64])
    return {
        "wall_seconds": round(seconds, 1),
        "held_out_transfer": content_transfer_error(trainer.translate, test, num_pairs=200),
        "frechet_vgg": frechet_distance(real_features, fake_features),
        "kid_vgg": kid,
        "sharpness_relative_to_real": sharpness(flat) / sharpness(real),
        "training_reconstruction": image_errors(
            keras.ops.convert_to_numpy(reconstruction), train.images[:64], "vgg16"
        ),
        "_grid": translation_grid(images[first_of], images[:12], translations[:, :12]),
    }


def run_seed(seed, variants, train, test, arguments, extractor):
    folder = os.path.join(arguments.out, f"seed{seed}")
    start = time.perf_counter()
    train_run(
        train,
        os.path.join(folder, "base"),
        epochs=arguments.epochs,
        encoder_epochs=arguments.encoder_epochs,
        batch_size=arguments.batch_size,
        seed=seed,
        verbose=0,
        reuse_finished=True,
        checkpoint_interval_seconds=60.0,
    )
    base_seconds = time.perf_counter() - start
    base_path = os.path.join(folder, "base", TRAINER_FILE)
    results = {"base_stages_1_and_2": score(load_trainer(base_path), train, test, extractor, 0)}
    for name, overrides in variants:
        trainer = load_trainer(base_path)
        if name == "stage2":
            trainer.compile(learning_rate=1e-4, **overrides)
        else:
            trainer.start_synthesis(**overrides)
        start = time.perf_counter()
        trainer.fit(
            train.inputs(),
            batch_size=arguments.batch_size,
            epochs=arguments.extra_epochs,
            verbose=0,
        )
        results[name] = score(trainer, train, test, extractor, time.perf_counter() - start)
        results[name]["overrides"] = overrides
        print(seed, name, {k: v for k, v in results[name].items() if k != "_grid"}, flush=True)
    for name, result in results.items():
        save_png(os.path.join(folder, f"held_out_{name}.png"), result.pop("_grid"), scale=3)
    return {"base_seconds": round(base_seconds, 1), "variants": results}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/keras-lord-synthesis")
    parser.add_argument("--variant", action="append", default=None, help="NAME[:key=value,...]")
    parser.add_argument("--seed", type=int, action="append", default=None)
    parser.add_argument("--epochs", type=int, default=20, help="stage-1 epochs (the demo's)")
    parser.add_argument("--encoder-epochs", type=int, default=8, help="stage-2 epochs")
    parser.add_argument("--extra-epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--json", help="also write the report here")
    arguments = parser.parse_args()
    variants = [parse_variant(text) for text in arguments.variant or ["stage2", "adv:"]]
    _, train, test = synthetic_split(verbose=0)
    extractor = VGGPerceptualLoss(feature_layers=("block5_pool",))
    report = {
        "backend": keras.backend.backend(),
        "cpu_flags": cpu_flags(),
        "command": "python benchmarks/synthesis_stage.py "
        + " ".join(f"--variant {name}" for name, _ in variants),
        "seeds": {
            str(seed): run_seed(seed, variants, train, test, arguments, extractor)
            for seed in arguments.seed or [0]
        },
    }
    emit_report(report, arguments.json)


if __name__ == "__main__":
    main()
