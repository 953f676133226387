"""Domain translation with style clusters: edge maps to photos in each colour scheme.

    KERAS_BACKEND=tensorflow python examples/domain_translation.py --out outputs/domains
    KERAS_BACKEND=tensorflow python examples/domain_translation.py --smoke --out /tmp/domains

Rendered objects in two domains (`keras_lord.data.synthetic_domains`): edge maps, and photos
in several colour schemes. Each domain is split into style clusters by
`StyleClusterLabeler` (the paper's appendix A.8), LORD is trained on the joint
(domain, style) labels with `train_run` (it resumes), and `StyleTranslator` renders
held-out edge maps in every photo style and in the style of reference photos. Writes
`every_style.png`, `reference_styles.png` and `figures.json` (cluster purity, and how often
a translation's mean colour is nearest the colour scheme asked for) to `--out`.
"""

import argparse
import os
import sys

import numpy as np

from keras_lord import StyleClusterLabeler, StyleTranslator
from keras_lord.cli import run_reporting_errors
from keras_lord.data import LordData, synthetic_domains
from keras_lord.training_run import train_run
from keras_lord.utils.files import write_json
from keras_lord.utils.image_grid import save_png, translation_grid

PHOTOS = 1


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder of the run, grids and figures")
    parser.add_argument("--objects", type=int, default=12)
    parser.add_argument("--views", type=int, default=12)
    parser.add_argument("--styles", type=int, default=3, help="colour schemes of the photos")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--encoder-epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a tiny run, in seconds")
    return parser.parse_args()


def scheme_accuracy(images, wanted, data, schemes):
    """How often an image's mean colour is nearest that of the photos of the wanted scheme."""
    photos = data.class_ids == PHOTOS
    means = np.stack(
        [
            data.images[photos & (schemes == k)].reshape(-1, 3).mean(0) / 255
            for k in range(schemes.max() + 1)
        ]
    )
    colours = images.reshape(len(images), -1, 3).mean(1)
    nearest = np.argmin(((colours[:, None] - means) ** 2).sum(-1), axis=-1)
    return float(np.mean(nearest == wanted))


def main():
    arguments = parse_arguments()
    objects, views, epochs, encoder_epochs = (
        (4, 4, 2, 1)
        if arguments.smoke
        else (arguments.objects, arguments.views, arguments.epochs, arguments.encoder_epochs)
    )
    data, schemes = synthetic_domains(objects, views, arguments.styles, seed=arguments.seed)
    # The last object is held out: its edge maps are translated, never trained on.
    held_out_contents = np.arange((objects - 1) * views, objects * views)
    held_out = np.isin(data.content_ids, held_out_contents)
    train = LordData(data.images[~held_out], data.class_ids[~held_out], 2)

    labeler = StyleClusterLabeler(styles_per_class=arguments.styles, seed=arguments.seed)
    joint = labeler.fit_predict(train.images, train.class_ids)
    train_schemes = schemes[~held_out]
    photos = train.class_ids == PHOTOS
    purity = sum(
        np.bincount(train_schemes[photos][joint[photos] == label]).max()
        for label in np.unique(joint[photos])
    ) / np.count_nonzero(photos)
    print(f"{labeler.num_labels} (domain, style) labels; photo clusters' purity {purity:.3f}")

    network = {}
    if arguments.smoke:
        network = {"adain_dim": 16, "content_dim": 16, "class_dim": 16}
        network["perceptual_layers"] = ("block1_conv2", "block2_conv2")
    trainer = train_run(
        LordData(train.images, joint, labeler.num_labels),
        os.path.join(arguments.out, "run"),
        epochs=epochs,
        encoder_epochs=encoder_epochs,
        batch_size=arguments.batch_size,
        latent_learning_rate=3e-2,
        seed=arguments.seed,
        checkpoint_interval_seconds=30.0,
        **network,
    )
    translator = StyleTranslator(trainer, labeler, train.images, joint)
    edges = data.images[held_out & (data.class_ids == 0)][:: max(1, views // 6)]
    styles = translator.styles_of(PHOTOS)
    style_schemes = np.array([np.bincount(train_schemes[joint == s]).argmax() for s in styles])
    every_style = translator.translate(edges, target_class=PHOTOS)
    # Columns: one photo of each style's scheme, then that style's translations.
    headers = np.stack([train.images[photos & (train_schemes == k)][0] for k in style_schemes])
    save_png(
        os.path.join(arguments.out, "every_style.png"),
        translation_grid(edges, headers, every_style),
        3,
    )
    # Style-guided: every edge map in the style of every reference photo (held-out object,
    # two views of each scheme), each reference labelled with its nearest style cluster.
    wanted = np.repeat(np.arange(arguments.styles), 2)
    references = np.stack(
        [
            data.images[held_out & (schemes == k)][(i % 2) * (views // 2)]
            for i, k in enumerate(wanted)
        ]
    )
    guided = translator.translate_like(
        np.repeat(edges, len(references), axis=0),
        np.tile(references, (len(edges), 1, 1, 1)),
        target_class=PHOTOS,
    ).reshape((len(edges), len(references)) + data.image_shape)
    save_png(
        os.path.join(arguments.out, "reference_styles.png"),
        translation_grid(edges, references, guided),
        3,
    )
    figures = {
        "photo_cluster_purity": round(float(purity), 3),
        "every_style_scheme_accuracy": scheme_accuracy(
            every_style.reshape((-1,) + data.image_shape),
            np.tile(style_schemes, len(edges)),
            data,
            schemes,
        ),
        "reference_scheme_accuracy": scheme_accuracy(
            guided.reshape((-1,) + data.image_shape), np.tile(wanted, len(edges)), data, schemes
        ),
    }
    print(figures)
    write_json(os.path.join(arguments.out, "figures.json"), figures)


if __name__ == "__main__":
    sys.exit(run_reporting_errors(main, os.path.basename(__file__)))
