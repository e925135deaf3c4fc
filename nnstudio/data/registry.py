"""Datasets by name. Each entry knows its title, task, default parameters and how to load itself;
nothing is loaded until asked for (MNIST is big)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from nnstudio.core.registry import Registry
from nnstudio.data.dataset import DataError, Dataset


@dataclass(frozen=True)
class DatasetSource:
    name: str
    title: str
    task: str
    description: str
    loader: Callable[..., Dataset]
    defaults: dict = field(default_factory=dict)
    # False for sources the studio's dataset picker does not offer: those that need a file (CSV, IDX folders), which
    # it offers separately
    listed: bool = True
    # True for sources that take a noticeable time to load (files of images): the studio loads them off its GUI thread
    heavy: bool = False

    def load(self, progress=None, **params) -> Dataset:
        """The dataset with ``params`` over the defaults; a heavy source also reports ``progress(fraction)`` while it
        reads (see nnstudio.progress); the others load at once and ignore it."""
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            known = ", ".join(sorted(self.defaults)) or "none"
            raise DataError(f"dataset {self.name!r} takes no parameter {', '.join(unknown)}; it takes: {known}")
        merged = {**self.defaults, **params}
        if self.heavy and progress is not None:
            merged["progress"] = progress
        return self.loader(**merged)


DATASETS: Registry[DatasetSource] = Registry("dataset")


def register(source: DatasetSource) -> DatasetSource:
    return DATASETS.register(source.name, source)


def load(name: str, **params) -> Dataset:
    """Load the dataset called ``name``; an unknown name raises a KeyError listing the known ones."""
    return DATASETS[name].load(**params)
