"""LORD for faces to anime: the domain (CelebA face or anime face) is the class.

    KERAS_BACKEND=tensorflow python examples/anime.py --data-dir downloads/anime/cropped \\
        --faces-dir downloads/celeba --out outputs/anime
    KERAS_BACKEND=tensorflow python examples/anime.py --smoke --out /tmp/anime-smoke

The anime faces (Anime-Face-Dataset) are domain 1 and CelebA's faces domain 0, each with
its own held-out images (10 % of the anime faces, 1,000 CelebA identities). Trains both
stages with the `paper` preset at 64x64 (200 + 200 epochs, batch 64), then reports the
reconstruction error of held-out faces of both domains, the leakage of the domain into
the content codes, and writes translation grids (domain x face) every epoch. The paper
shows faces-to-anime as pictures. `--styles-per-class L` splits each domain into L style
clusters first (appendix A.8) and writes `OUT/styles_of_domain_D.png`: held-out faces of
the other domain in every style of domain D.
Rerun the same command to resume an interrupted run. Every setting has a flag (`--help`).
"""

import os

import numpy as np
from paper_protocol import example_main, parse_arguments, prepare_split, source_folder

from keras_lord.data import LordData
from keras_lord.datasets.samples import write_anime_sample, write_celeba_sample

FACES, ANIME = 0, 1


def two_domains(faces: LordData, anime: LordData) -> LordData:
    """Faces as class 0 and anime faces as class 1, in one `LordData`."""
    return LordData(
        images=np.concatenate([faces.images, anime.images]),
        class_ids=np.repeat([FACES, ANIME], [faces.num_samples, anime.num_samples]),
        num_classes=2,
    )


def prepare(arguments, settings, options, run_folder):
    anime_dir = source_folder(
        arguments, arguments.data_dir, "sample_anime", lambda folder: write_anime_sample(folder, 48)
    )
    faces_dir = source_folder(
        arguments,
        arguments.faces_dir,
        "sample_faces",
        lambda folder: write_celeba_sample(folder, identities=6, images_per_identity=8),
    )
    data = os.path.join(arguments.out, "data")
    size = settings["size"]
    anime = prepare_split("anime", anime_dir, os.path.join(data, "anime"), size, {}, run_folder)
    faces = prepare_split(
        "celeba", faces_dir, os.path.join(data, "faces"), size, options, run_folder
    )
    return two_domains(faces[0], anime[0]), two_domains(faces[1], anime[1]), {}


if __name__ == "__main__":
    example_main(
        "anime",
        parse_arguments(__doc__.splitlines()[0], faces=True, styles=True),
        write_sample=None,
        paper_figures={},
        loader_options={"held_out": 1000},
        smoke_loader_options={"held_out": 2},
        prepare=prepare,
    )
