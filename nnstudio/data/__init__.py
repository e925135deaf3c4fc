"""Datasets as plain arrays plus metadata, a registry by name, and strict loaders. No Qt here."""

from nnstudio.data import builtin, csv_loader, image_sets, mnist, synthetic  # noqa: F401  (registers the datasets)
from nnstudio.data.csv_loader import load_csv, preview_csv
from nnstudio.data.dataset import DataError, Dataset, Preprocessing, Query, split
from nnstudio.data.registry import DATASETS, DatasetSource, load, register

__all__ = ["DATASETS", "DataError", "Dataset", "DatasetSource", "Preprocessing", "Query", "load", "load_csv",
           "preview_csv", "register", "split"]
