"""Strict loading of a numeric table from a CSV file.

The first non-blank row is the header. One column is the target (by default the last one); every other column is a
feature and must hold a finite number in every row. Anything wrong stops the load with a :class:`DataError` whose
message says which file, which line, which column and which value, e.g.::

    data.csv, line 7, column 3 ("height"): "abc" is not a number

Either a complete :class:`Dataset` comes back or an exception is raised; nothing is half-loaded.

Text is read as UTF-8 (a leading byte-order mark is ignored). Cells are separated by commas, unless the header line
has no comma but does contain semicolons or tabs, in which case that character is used instead. Spaces around cells
and header names are ignored, and blank lines are skipped (line numbers in messages still count them).

The cells are read by csv_table.py, a chunk at a time (a million rows in about a second or two), with a progress
callback that can stop the load; this module turns what it read into the Dataset.
"""

from __future__ import annotations

import os
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from nnstudio.data.csv_table import MIN_ROWS, Table, cell_text, cell_where, file_label, read_rows, read_table
from nnstudio.data.dataset import DataError, Dataset, split
from nnstudio.data.registry import DatasetSource, register
from nnstudio.progress import Progress, no_progress

TASK_CHOICES = ("auto", "binary", "multiclass", "classification", "regression")
MAX_AUTO_CLASSES = 10  # "auto" treats a whole-number target as class labels only up to this many distinct values


# -- the public functions --------------------------------------------------------------------------------------------
def _check_path(path) -> Path:
    if path is None or (isinstance(path, str) and not path.strip()):
        raise DataError("no CSV file given")
    try:
        p = Path(os.fspath(path))
    except TypeError:
        raise DataError(f"not a file path: {path!r}") from None
    if not p.exists():
        raise DataError(f"{file_label(p)}: no such file ({p})")
    if p.is_dir():
        raise DataError(f"{file_label(p)}: is a directory, not a CSV file ({p})")
    return p


def preview_csv(path, max_rows: int = 20) -> tuple[list[str], list[list[str]]]:
    """The header and up to ``max_rows`` data rows, as text, for an import dialog.

    Reads the file the same way :func:`load_csv` does (encoding, delimiter, blank lines skipped) but checks nothing
    about the values: ragged rows and non-numbers are shown as they are. Raises DataError when the file is missing,
    unreadable, not UTF-8 or empty.
    """
    p = _check_path(path)
    header: list[str] | None = None
    rows: list[list[str]] = []
    gen = read_rows(p)
    try:
        for _, row in gen:
            cells = [c.strip() for c in row]
            if header is None:
                header = cells
                continue
            if len(rows) >= max_rows:
                break
            rows.append(cells)
    finally:
        gen.close()
    if header is None:  # only rows of empty cells, e.g. a line holding just ""
        raise DataError(f"{file_label(p)}: the file is empty (no header row)")
    return header, rows


def _number_name(v: float) -> str:
    """A numeric class label as text: 3.0 -> "3", 0.5 -> "0.5"."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def load_csv(path, target=None, task: str = "auto", test_fraction: float = 0.0, seed: int = 0,
             progress: Progress | None = None) -> Dataset:
    """Load a CSV file as a Dataset.

    ``target`` is the target column's header name or 0-based index (None: the last column); every other column is a
    numeric feature. ``task`` is one of "auto", "binary", "multiclass", "classification" or "regression":

    - "auto": a target of numbers that are all whole, with at most 10 distinct values, is read as class labels;
      any other all-number target as a regression target; a target with any non-number is read as class labels.
    - "classification": class labels, "binary" for two classes and "multiclass" for more.
    - "binary" / "multiclass": class labels, and "binary" insists on exactly two classes.
    - "regression": every target must be a finite number.

    Class names are the distinct labels sorted (numerically when every label is a number, written without a
    trailing ".0"); class index i is the i-th name. With ``test_fraction`` > 0 a shuffled share of the rows (seeded
    by ``seed``) becomes the test part. Raises DataError, naming file, line, column and value, for anything wrong.

    The file is read in chunks of a quarter of a megabyte; ``progress(fraction)`` is called after each (see
    nnstudio.progress) and may raise Cancelled to stop, which this lets through. No single step holds Python's
    interpreter lock for long, so another thread (the window) stays responsive while a big file loads.
    """
    p = _check_path(path)
    label = file_label(p)
    if task not in TASK_CHOICES:
        raise DataError(f"{label}: unknown task {task!r}; choose one of: {', '.join(TASK_CHOICES)}")
    if (isinstance(test_fraction, bool) or not isinstance(test_fraction, Real)
            or not 0.0 <= test_fraction < 1.0):
        raise DataError(f"{label}: test_fraction must be a number in [0, 1), got {test_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise DataError(f"{label}: seed must be a whole number >= 0, got {seed!r}")
    report = progress or no_progress
    report(0.0)
    table = read_table(p, target, report)
    dataset = _dataset(p, table, task, float(test_fraction), int(seed), path)
    report(1.0)
    return dataset


def _dataset(p: Path, table: Table, task: str, test_fraction: float, seed: int, path) -> Dataset:
    """The Dataset of a table read in full: the target column becomes classes or values, checked."""
    label = file_label(p)
    t, header = table.t, table.header
    target_name = header[t]
    n = table.n
    if n == 0:
        raise DataError(f"{label}: only a header row (line {table.header_line}), no data rows; at least "
                        f"{MIN_ROWS} are needed")
    if n < MIN_ROWS:
        raise DataError(f"{label}: only {n} data row (line {table.first_line}); at least {MIN_ROWS} are needed")
    X = np.concatenate(table.X_parts)

    def where(line: int) -> str:
        return cell_where(label, line, t, target_name)

    all_numeric = table.numbers is not None
    numbers = np.concatenate(table.numbers) if all_numeric else None
    # a target that reads as a number but is NaN or infinite is never a sensible value or class
    if table.not_finite is not None:
        line, cell = table.not_finite
        raise DataError(f"{where(line)}: {cell_text(cell)} is not a finite number (NaN and infinity are not "
                        f"allowed)")

    if task == "regression":
        resolved = "regression"
    elif task == "auto" and all_numeric:
        whole = bool(np.all(numbers == np.floor(numbers)))
        resolved = "classification" if whole and len(np.unique(numbers)) <= MAX_AUTO_CLASSES else "regression"
    else:
        resolved = "classification"

    class_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()
    if resolved == "regression":
        if not all_numeric:
            line, cell = table.not_a_number
            raise DataError(f"{where(line)}: {cell_text(cell)} is not a number (a regression target must be "
                            f"numeric)")
        y = numbers.reshape(n, 1)
        target_names = (target_name,)
        final_task = "regression"
    else:
        if all_numeric:
            distinct = np.unique(numbers)
            y = np.searchsorted(distinct, numbers).astype(np.int64)
            class_names = tuple(_number_name(float(v)) for v in distinct)
        else:
            class_names, y = table.class_codes()
        k = len(class_names)
        if k < 2:
            raise DataError(f'{label}, column {t + 1} ("{target_name}"): only one class '
                            f"({cell_text(class_names[0])}) in all {n} rows; classification needs at least two")
        if task == "binary" and k != 2:
            shown = ", ".join(cell_text(c) for c in class_names[:12]) + (", ..." if k > 12 else "")
            raise DataError(f'{label}, column {t + 1} ("{target_name}"): task "binary" needs exactly two classes, '
                            f"found {k}: {shown}")
        if task == "multiclass":
            final_task = "multiclass"
        else:
            final_task = "binary" if k == 2 else "multiclass"

    try:
        X_train, y_train, X_test, y_test = split(X, y, test_fraction, seed)
    except DataError as exc:
        raise DataError(f"{label}: {exc}") from None

    return Dataset(
        name="csv:" + label, title=label, task=final_task, X=X_train, y=y_train,
        feature_names=tuple(header[i] for i in table.feature_cols),
        class_names=class_names, target_names=target_names,
        X_test=X_test, y_test=y_test,
        description=f"{n} rows from {label}", source=str(p),
        params={"path": str(path), "target": target_name, "task": task,
                "test_fraction": test_fraction, "seed": seed},
    )


def load_csv_source(path, target, task, test_fraction, seed) -> Dataset:
    """The registry's entry point: the same as :func:`load_csv`."""
    return load_csv(path, target=target, task=task, test_fraction=test_fraction, seed=seed)


register(DatasetSource(
    "csv", "CSV file", "auto",
    "A table of numbers from a CSV file: one column is the target, the others are the features.",
    loader=load_csv_source,
    defaults={"path": "", "target": None, "task": "auto", "test_fraction": 0.0, "seed": 0},
    listed=False,
))
