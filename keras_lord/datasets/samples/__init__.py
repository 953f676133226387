"""Tiny datasets in their publishers' own layouts, for smoke runs and tests.

Each writer puts a few synthetic images into a folder exactly as the publisher ships the
dataset (file names, archive and file formats), so that the real loader reads it. Every
pixel of a sample image names its labels (e.g. a car's red channel is its id times 40),
which lets a test check that the loader assigned each image its class and content. One
module per dataset holds its writer.
"""

from keras_lord.datasets.samples.anime import write_anime_sample
from keras_lord.datasets.samples.cars3d import (
    CARS3D_ARCHIVE,
    car_renders,
    mat_file,
    write_cars3d_sample,
)
from keras_lord.datasets.samples.celeba import CELEBA_LANDMARK_HEADER, write_celeba_sample
from keras_lord.datasets.samples.edges2shoes import write_edges2shoes_sample
from keras_lord.datasets.samples.kth import KTH_SEQUENCES, kth_video, write_kth_sample
from keras_lord.datasets.samples.rafd import write_rafd_sample
from keras_lord.datasets.samples.smallnorb import smallnorb_part, write_smallnorb_sample

__all__ = [
    "CARS3D_ARCHIVE",
    "CELEBA_LANDMARK_HEADER",
    "KTH_SEQUENCES",
    "car_renders",
    "kth_video",
    "mat_file",
    "smallnorb_part",
    "write_anime_sample",
    "write_cars3d_sample",
    "write_celeba_sample",
    "write_edges2shoes_sample",
    "write_kth_sample",
    "write_rafd_sample",
    "write_smallnorb_sample",
]
