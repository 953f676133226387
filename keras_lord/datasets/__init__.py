"""Datasets as their publishers ship them, and a user's own images, as `LordData` splits."""

from keras_lord.datasets.cars3d import cars3d
from keras_lord.datasets.celeba import celeba
from keras_lord.datasets.domains import anime, edges2shoes
from keras_lord.datasets.image_folder import csv_files, from_csv, from_folder
from keras_lord.datasets.kth import kth
from keras_lord.datasets.norb_format import read_norb_matrix, write_norb_matrix
from keras_lord.datasets.rafd import rafd
from keras_lord.datasets.smallnorb import smallnorb, smallnorb_poses
from keras_lord.datasets.sources import DatasetFileError, DatasetSource
from keras_lord.datasets.splits import DatasetSplits

# `keras-lord prepare NAME`: the loader of each name.
LOADERS = {
    "cars3d": cars3d,
    "celeba": celeba,
    "edges2shoes": edges2shoes,
    "anime": anime,
    "kth": kth,
    "rafd": rafd,
    "smallnorb": smallnorb,
    "smallnorb_poses": smallnorb_poses,
    "folder": from_folder,
    "csv": from_csv,
}
# Loaders that read files outside `data_dir` itself: the files each reads, for the
# fingerprint by which `prepare` notices a changed source (others: all under `data_dir`).
FILES_READ = {"csv": csv_files}

__all__ = [
    "FILES_READ",
    "LOADERS",
    "DatasetFileError",
    "DatasetSource",
    "DatasetSplits",
    "anime",
    "cars3d",
    "celeba",
    "edges2shoes",
    "from_csv",
    "from_folder",
    "kth",
    "rafd",
    "read_norb_matrix",
    "smallnorb",
    "smallnorb_poses",
    "write_norb_matrix",
]
