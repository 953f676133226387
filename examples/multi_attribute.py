"""Multi-attribute classes: change an object's colour scheme and keep the object and view.

    KERAS_BACKEND=tensorflow python examples/multi_attribute.py --out outputs/attributes
    KERAS_BACKEND=tensorflow python examples/multi_attribute.py --smoke --out /tmp/attributes

Rendered objects in colour schemes (`keras_lord.data.synthetic_attributes`): the object is
the class, the colour scheme an attribute with its own table (`LordTrainer(attributes=...)`,
the paper's appendix A.9), the view the content. Training sees the even views only, and one
object never in the last scheme. `change_attributes` then renders held-out views in every
scheme. Writes `attribute_changes.png` (a row per held-out image: the image, then it in each
scheme) and `figures.json`: how often the changed object's colour is nearest the scheme asked
for, and its error to the true image next to the error to the unchanged image and to the other
objects in that view and scheme. Reruns resume (`run/`).
"""

import argparse
import os
import sys

import numpy as np

from keras_lord import LordTrainer
from keras_lord.callbacks import ResumableCheckpoint
from keras_lord.cli import run_reporting_errors
from keras_lord.data import synthetic_attributes
from keras_lord.losses import VGGPerceptualLoss
from keras_lord.saving import load_trainer
from keras_lord.utils.files import write_json
from keras_lord.utils.image_grid import save_png, translation_grid

# Object pixels of the rendered images are brighter than this (in [0, 1]).
OBJECT_LEVEL = 0.15


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder of the run, grid and figures")
    parser.add_argument("--objects", type=int, default=8)
    parser.add_argument("--views", type=int, default=16)
    parser.add_argument("--schemes", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--encoder-epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a tiny run, in seconds")
    return parser.parse_args()


def train(inputs, num_objects, num_schemes, arguments, epochs, encoder_epochs):
    """Both stages, each resumable; the trainer after stage 1 is kept in `run/`."""
    run = os.path.join(arguments.out, "run")
    stage1_path = os.path.join(run, "stage1.keras")
    sizes = {}
    if arguments.smoke:
        sizes = dict(
            adain_dim=16,
            content_dim=16,
            class_dim=16,
            perceptual_loss=VGGPerceptualLoss(feature_layers=("block1_conv2", "block2_conv2")),
        )
    if os.path.exists(stage1_path):
        trainer = load_trainer(stage1_path)
    else:
        trainer = LordTrainer(
            num_classes=num_objects,
            num_samples=len(inputs["image"]),
            image_shape=inputs["image"].shape[1:],
            preset="small",
            attributes={"scheme": num_schemes},
            seed=arguments.seed,
            **sizes,
        )
        trainer.compile(latent_learning_rate=3e-2)
        trainer.fit(
            inputs,
            batch_size=arguments.batch_size,
            epochs=epochs,
            callbacks=[ResumableCheckpoint(os.path.join(run, "stage1"), 30.0)],
        )
        trainer.save(stage1_path)
    trainer.start_stage2()
    trainer.fit(
        inputs,
        batch_size=arguments.batch_size,
        epochs=encoder_epochs,
        callbacks=[ResumableCheckpoint(os.path.join(run, "stage2"), 30.0)],
    )
    return trainer


def main():
    arguments = parse_arguments()
    objects, views, epochs, encoder_epochs = (
        (3, 4, 2, 1)
        if arguments.smoke
        else (arguments.objects, arguments.views, arguments.epochs, arguments.encoder_epochs)
    )
    schemes_count = arguments.schemes
    data, schemes = synthetic_attributes(objects, views, schemes_count, seed=arguments.seed)
    object_ids, view_ids = data.class_ids, data.content_ids
    unseen = (object_ids == objects - 1) & (schemes == schemes_count - 1)
    train_rows = np.flatnonzero((view_ids % 2 == 0) & ~unseen)
    inputs = {
        "image": data.images[train_rows],
        "class_id": object_ids[train_rows],
        "sample_id": np.arange(len(train_rows)),
        "scheme_id": schemes[train_rows],
    }
    trainer = train(inputs, objects, schemes_count, arguments, epochs, encoder_epochs)

    images = data.float_images()
    per_scheme = len(images) // schemes_count
    colours = np.stack(
        [
            images[schemes == s][images[schemes == s].mean(-1) > OBJECT_LEVEL].mean(0)
            for s in range(schemes_count)
        ]
    )
    figures = {"pairs": []}
    for source in range(schemes_count):
        held_out = np.flatnonzero((view_ids % 2 == 1) & (schemes == source))
        for target in range(schemes_count):
            if target == source:
                continue
            changed = trainer.change_attributes(
                data.images[held_out], {"scheme": source}, {"scheme": target}
            )
            truth = held_out + (target - source) * per_scheme
            object_colours = np.stack(
                [
                    image[mask].mean(0)
                    for image, mask in zip(changed, images[truth].mean(-1) > OBJECT_LEVEL)
                ]
            )
            nearest = np.argmin(((object_colours[:, None] - colours) ** 2).sum(-1), axis=1)
            others = [
                ((changed[k] - images[(view_ids == view_ids[i]) & (schemes == target)
                                      & (object_ids != object_ids[i])]) ** 2).mean()
                for k, i in enumerate(held_out)
            ]  # fmt: skip
            figures["pairs"].append(
                {
                    "from": source,
                    "to": target,
                    "scheme_accuracy": float(np.mean(nearest == target)),
                    "unseen_pair_scheme_accuracy": float(
                        np.mean(nearest[object_ids[held_out] == objects - 1] == target)
                    ),
                    "mse_to_truth": float(((changed - images[truth]) ** 2).mean()),
                    "mse_to_unchanged": float(((changed - images[held_out]) ** 2).mean()),
                    "mse_to_other_objects": float(np.mean(others)),
                }
            )
    for key in ("scheme_accuracy", "mse_to_truth", "mse_to_unchanged", "mse_to_other_objects"):
        figures[key] = round(float(np.mean([pair[key] for pair in figures["pairs"]])), 4)
    print({key: value for key, value in figures.items() if key != "pairs"})
    write_json(os.path.join(arguments.out, "figures.json"), figures)

    # One held-out view of every object in the first scheme, then it in every scheme.
    shown = np.flatnonzero((view_ids == 1) & (schemes == 0))
    changes = np.stack(
        [
            trainer.change_attributes(data.images[shown], {"scheme": 0}, {"scheme": target})
            for target in range(schemes_count)
        ],
        axis=1,
    )
    headers = np.stack(
        [data.images[(schemes == s) & (view_ids == 1)][0] for s in range(schemes_count)]
    )
    save_png(
        os.path.join(arguments.out, "attribute_changes.png"),
        translation_grid(data.images[shown], headers, changes),
        3,
    )


if __name__ == "__main__":
    sys.exit(run_reporting_errors(main, os.path.basename(__file__)))
