"""Image datasets: each row is one picture, its raw pixel values 0..255 kept as uint8 (60,000 MNIST digits take
47 MB so, against 188 MB as float32); the network sees them divided by 255.

Besides the shipped MNIST (mnist.py), any folder in MNIST's own layout is a dataset (the ``idx`` kind)::

    train-images-idx3-ubyte[.gz]   train-labels-idx1-ubyte[.gz]     the training images and their labels
    t10k-images-idx3-ubyte[.gz]    t10k-labels-idx1-ubyte[.gz]      optional: the test images and their labels

(``train-images.idx3-ubyte``, with a dot, as some copies name them, is read too), so Fashion-MNIST or
Kuzushiji-MNIST open as they are downloaded, with their own image size (from the files' headers) and class count
(the largest label + 1). A Keras-style ``mnist.npz`` opens the same way (the ``npz`` kind).

Every image set takes ``subset``: how many training images to keep (0: all), drawn from a seed (``subset_seed``) so that
each class keeps its share; the test images are always kept whole.
"""

from __future__ import annotations

import os
from numbers import Integral
from pathlib import Path

import numpy as np

from nnstudio.data.dataset import DataError, Dataset, Preprocessing
from nnstudio.data.idx import ImageSet, read_npz, read_pair
from nnstudio.data.registry import DatasetSource, register
from nnstudio.numbers import count
from nnstudio.progress import Progress, no_progress

PIXEL_MAX = 255.0
PIXEL_SCALING = "as pixel / 255 (0 for the paper to 1 for full ink)"
SUBSET_CHOICES = (1_000, 10_000, 0)  # what the studio offers: 0 is every training image
# (role, file names tried in order): the names MNIST is published under, and the dotted spelling of some copies
FILE_NAMES = {
    "train images": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "train labels": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "test images": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "test labels": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}


def _size(height: int, width: int) -> str:
    return f"{height} x {width} pixels (height x width)"


def pixel_preprocessing(n_features: int) -> Preprocessing:
    """pixel / 255 for every feature."""
    return Preprocessing((0.0,) * n_features, (PIXEL_MAX,) * n_features, PIXEL_SCALING)


def pixel_names(height: int, width: int) -> tuple[str, ...]:
    """One name per pixel, row-major, 1-based: r1c1, r1c2, ..."""
    return tuple(f"r{r}c{c}" for r in range(1, height + 1) for c in range(1, width + 1))


def stratified_subset(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """``size`` row indices (sorted) in which every class keeps its share of ``labels``, drawn with ``seed``.

    Class c gets floor(size * n_c / n) rows, and the rows left over go to the classes with the largest remainders
    (ties to the lower class): exact whole numbers, so the same labels, size and seed always give the same rows."""
    labels = np.asarray(labels)
    n = len(labels)
    if not 0 < size <= n:
        raise DataError(f"a subset of {count(size)} rows out of {count(n)}")
    classes, counts = np.unique(labels, return_counts=True)
    take, remainder = np.divmod(counts.astype(np.int64) * size, n)
    left = size - int(take.sum())
    take[np.argsort(-remainder, kind="stable")[:left]] += 1
    rng = np.random.default_rng(seed)
    picked = [rng.permutation(np.flatnonzero(labels == c))[:k] for c, k in zip(classes, take)]
    return np.sort(np.concatenate(picked))


def check_subset(name: str, subset, seed, n_train: int) -> tuple[int, int]:
    """``subset`` and its seed as whole numbers, or a DataError naming the dataset."""
    if isinstance(subset, bool) or not isinstance(subset, Integral) or not 0 <= subset <= n_train:
        raise DataError(f"{name}: subset must be a whole number of training images from 1 to {count(n_train)}, or 0 "
                        f"for all of them; got {subset!r}")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise DataError(f"{name}: subset_seed must be a whole number >= 0, got {seed!r}")
    return int(subset), int(seed)


def image_dataset(name: str, title: str, train: ImageSet, test: ImageSet | None, *, subset: int = 0,
                  subset_seed: int = 0,
                  class_names: tuple[str, ...] | None = None, target: str = "label", description: str = "",
                  source: str = "", params: dict | None = None) -> Dataset:
    """The Dataset of image sets that pair up: rows of raw pixels (uint8, no copy of the images unless a subset is
    taken), labels as class indices, pixel / 255 as the preprocessing. Classes are "0".."k-1" for the largest
    label k - 1 unless ``class_names`` are given."""
    height, width = train.images.shape[1:]
    if test is not None and test.images.shape[1:] != (height, width):
        raise DataError(f"{name}: the test images are {_size(*test.images.shape[1:])}, the training images "
                        f"{_size(height, width)}")
    if len(train.images) == 0:
        raise DataError(f"{name}: no training images")
    subset, subset_seed = check_subset(name, subset, subset_seed, len(train.images))
    top = int(max(train.labels.max(), test.labels.max() if test is not None and len(test.labels) else 0))
    if class_names is None:
        if top < 1:
            raise DataError(f"{name}: every label is 0; classification needs at least two classes")
        class_names = tuple(str(k) for k in range(top + 1))
    elif top >= len(class_names):
        raise DataError(f"{name}: label {top} found, but the classes are 0 to {len(class_names) - 1}")
    X = train.images.reshape(len(train.images), height * width)  # a view: the pixels are not copied
    y = train.labels.astype(np.int64)
    if subset:
        rows = stratified_subset(y, subset, subset_seed)
        X, y = X[rows], y[rows]
    X_test = y_test = None
    if test is not None and len(test.images):
        X_test = test.images.reshape(len(test.images), height * width)
        y_test = test.labels.astype(np.int64)
    return Dataset(
        name=name, title=title, task="multiclass" if len(class_names) > 2 else "binary", X=X, y=y,
        feature_names=pixel_names(height, width), class_names=class_names,
        preprocessing=pixel_preprocessing(height * width), X_test=X_test, y_test=y_test,
        description=description, source=source, image_shape=(height, width),
        params={**(params or {}), "subset": subset, "subset_seed": subset_seed, "target": target},
    )


# -- a folder of IDX files ---------------------------------------------------------------------------------------------
def find_files(folder: Path) -> dict[str, Path]:
    """The IDX files of a dataset folder by role ("train images", ...); roles with no file are left out."""
    found = {}
    for role, names in FILE_NAMES.items():
        for base in names:
            for candidate in (folder / base, folder / f"{base}.gz"):
                if candidate.is_file():
                    found[role] = candidate
                    break
            if role in found:
                break
    return found


def _folder(path) -> Path:
    if path is None or (isinstance(path, str) and not path.strip()):
        raise DataError("no folder given (an IDX dataset is a folder holding train-images-idx3-ubyte and "
                        "train-labels-idx1-ubyte)")
    folder = Path(os.fspath(path)).expanduser()
    if not folder.exists():
        raise DataError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder (an IDX dataset is a folder holding train-images-idx3-ubyte and "
                        f"train-labels-idx1-ubyte, each optionally gzipped)")
    return folder


def load_idx_folder(path, subset: int = 0, subset_seed: int = 0, progress: Progress | None = None) -> Dataset:
    """The dataset of an IDX folder (see the module's description). Raises DataError naming the folder or the file
    and what is wrong."""
    folder = _folder(path)
    files = find_files(folder)
    for role in ("train images", "train labels"):
        if role not in files:
            raise DataError(f"{folder}: no {FILE_NAMES[role][0]} (or .gz) here; an IDX dataset folder holds "
                            f"train-images-idx3-ubyte and train-labels-idx1-ubyte, each optionally gzipped")
    has_test = [role in files for role in ("test images", "test labels")]
    if any(has_test) and not all(has_test):
        there, missing = ("test images", "test labels") if has_test[0] else ("test labels", "test images")
        raise DataError(f"{folder}: {files[there].name} has no partner: {FILE_NAMES[missing][0]} (or .gz) is missing")
    report = progress or no_progress
    sizes = {role: p.stat().st_size for role, p in files.items()}
    share = (sizes["train images"] + sizes["train labels"]) / max(sum(sizes.values()), 1)
    train = read_pair(files["train images"], files["train labels"], lambda f: report(share * f))
    test = None
    if all(has_test):
        test = read_pair(files["test images"], files["test labels"], lambda f: report(share + (1 - share) * f))
    height, width = train.images.shape[1:]
    n_test = len(test.images) if test is not None else 0
    dataset = image_dataset(
        f"idx:{folder.name}", f"{folder.name} ({height}x{width} images)", train, test, subset=subset,
        subset_seed=subset_seed,
        description=f"{count(len(train.images))} training images" + (f" and {count(n_test)} test images" if test
                                                                      else "") + f" of {_size(height, width)}",
        source=str(folder), params={"path": str(path)})
    report(1.0)
    return dataset


def load_npz(path, subset: int = 0, subset_seed: int = 0, progress: Progress | None = None) -> Dataset:
    """The dataset of a Keras-style ``mnist.npz`` (x_train, y_train, x_test, y_test). ``progress`` hears only the
    end: the archive is read in one piece."""
    if path is None or (isinstance(path, str) and not path.strip()):
        raise DataError("no .npz file given")
    p = Path(os.fspath(path)).expanduser()
    train, test = read_npz(p)
    (progress or no_progress)(1.0)
    height, width = train.images.shape[1:]
    return image_dataset(
        f"npz:{p.name}", f"{p.name} ({height}x{width} images)", train, test, subset=subset, subset_seed=subset_seed,
        description=f"{count(len(train.images))} training and {count(len(test.images))} test images of "
                    f"{_size(height, width)}", source=str(p), params={"path": str(path)})


register(DatasetSource("idx", "IDX image folder", "multiclass",
                       "Images and labels in MNIST's own file format, from a folder.", loader=load_idx_folder,
                       defaults={"path": "", "subset": 0, "subset_seed": 0}, listed=False,
                       heavy=True))
register(DatasetSource("npz", "Images in an .npz file", "multiclass",
                       "Images and labels from a Keras-style .npz file (x_train, y_train, x_test, y_test).",
                       loader=load_npz, defaults={"path": "", "subset": 0, "subset_seed": 0}, listed=False,
                       heavy=True))
