"""Strict loading of a numeric table from a CSV file.

The first non-blank row is the header. One column is the target (by default the last one); every other column is a
feature and must hold a finite number in every row. Anything wrong stops the load with a :class:`DataError` whose
message says which file, which line, which column and which value, e.g.::

    data.csv, line 7, column 3 ("height"): "abc" is not a number

Either a complete :class:`Dataset` comes back or an exception is raised; nothing is half-loaded.

Text is read as UTF-8 (a leading byte-order mark is ignored). Cells are separated by commas, unless the header line
has no comma but does contain semicolons or tabs, in which case that character is used instead. Spaces around cells
and header names are ignored, and blank lines are skipped (line numbers in messages still count them).
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
from numbers import Integral, Real
from pathlib import Path
from typing import Iterator

import numpy as np

from nnstudio.data.dataset import DataError, Dataset, split
from nnstudio.data.registry import DatasetSource, register

TASK_CHOICES = ("auto", "binary", "multiclass", "classification", "regression")
MAX_AUTO_CLASSES = 10  # "auto" treats a whole-number target as class labels only up to this many distinct values
MIN_ROWS = 2

_ENCODING = "utf-8-sig"


# -- reading rows -----------------------------------------------------------------------------------------------------
def _label(path: Path) -> str:
    """How messages refer to the file."""
    return path.name or str(path)


def _cell_text(value: str) -> str:
    """A cell value quoted for a message, cut short if it is very long."""
    if len(value) > 40:
        value = value[:37] + "..."
    return '"' + value.replace('"', '\\"') + '"'


def _check_path(path) -> Path:
    if path is None or (isinstance(path, str) and not path.strip()):
        raise DataError("no CSV file given")
    try:
        p = Path(os.fspath(path))
    except TypeError:
        raise DataError(f"not a file path: {path!r}") from None
    if not p.exists():
        raise DataError(f"{_label(p)}: no such file ({p})")
    if p.is_dir():
        raise DataError(f"{_label(p)}: is a directory, not a CSV file ({p})")
    return p


def _decode_error(p: Path) -> DataError:
    """Locate the first byte sequence that is not UTF-8 and describe it."""
    try:
        raw = p.read_bytes()
        raw.decode(_ENCODING)
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        bad = raw[exc.start:exc.end].hex(" ")
        return DataError(f"{_label(p)}, line {line}: not valid UTF-8 text (byte {bad} at offset {exc.start}); "
                         f"save the file as UTF-8")
    except OSError as exc:
        return DataError(f"{_label(p)}: cannot be read ({exc.strerror or exc})")
    return DataError(f"{_label(p)}: not valid UTF-8 text; save the file as UTF-8")


def _is_blank(row: list[str]) -> bool:
    return len(row) == 0 or (len(row) == 1 and not row[0].strip())


def _pick_delimiter(header_line: str) -> str:
    if "," in header_line:
        return ","
    semicolons, tabs = header_line.count(";"), header_line.count("\t")
    if semicolons == 0 and tabs == 0:
        return ","
    return ";" if semicolons >= tabs else "\t"


def _rows(p: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (1-based line number where the row starts, cells) for every non-blank row, the header first.

    Raises DataError for unreadable files, text that is not UTF-8, malformed CSV and files with no header at all.
    """
    label = _label(p)
    try:
        f = open(p, encoding=_ENCODING, newline="")
    except OSError as exc:
        raise DataError(f"{label}: cannot be opened ({exc.strerror or exc})") from None
    try:
        with f:
            # find the header line to choose the delimiter, then read again from the top
            header_line = ""
            for line in f:
                if line.strip():
                    header_line = line
                    break
            if not header_line:
                raise DataError(f"{label}: the file is empty (it needs a header row and at least {MIN_ROWS} "
                                f"data rows)")
            f.seek(0)
            reader = csv.reader(f, delimiter=_pick_delimiter(header_line), skipinitialspace=True)
            last_line = 0
            try:
                for row in reader:
                    start = last_line + 1
                    last_line = reader.line_num
                    if not _is_blank(row):
                        yield start, row
            except csv.Error as exc:
                raise DataError(f"{label}, line {last_line + 1}: malformed CSV ({exc})") from None
    except UnicodeDecodeError:
        raise _decode_error(p) from None
    except OSError as exc:
        raise DataError(f"{label}: cannot be read ({exc.strerror or exc})") from None


def preview_csv(path, max_rows: int = 20) -> tuple[list[str], list[list[str]]]:
    """The header and up to ``max_rows`` data rows, as text, for an import dialog.

    Reads the file the same way :func:`load_csv` does (encoding, delimiter, blank lines skipped) but checks nothing
    about the values: ragged rows and non-numbers are shown as they are. Raises DataError when the file is missing,
    unreadable, not UTF-8 or empty.
    """
    p = _check_path(path)
    header: list[str] | None = None
    rows: list[list[str]] = []
    gen = _rows(p)
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
        raise DataError(f"{_label(p)}: the file is empty (no header row)")
    return header, rows


# -- parsing values ---------------------------------------------------------------------------------------------------
def _where(label: str, line: int, col: int, name: str) -> str:
    return f'{label}, line {line}, column {col + 1} ("{name}")'


def _number(text: str, where: str) -> float:
    """The cell as a finite float, or a DataError that says what is wrong with it."""
    s = text.strip()
    if not s:
        raise DataError(f"{where}: empty cell (expected a number)")
    try:
        v = float(s)
    except ValueError:
        raise DataError(f"{where}: {_cell_text(s)} is not a number") from None
    if not math.isfinite(v):
        raise DataError(f"{where}: {_cell_text(s)} is not a finite number (NaN and infinity are not allowed)")
    return v


def _try_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _number_name(v: float) -> str:
    """A numeric class label as text: 3.0 -> "3", 0.5 -> "0.5"."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _resolve_target(target, header: list[str], label: str) -> int:
    available = ", ".join(f'"{h}"' for h in header)
    if target is None:
        return len(header) - 1
    if isinstance(target, Integral) and not isinstance(target, bool):
        if 0 <= target < len(header):
            return int(target)
        raise DataError(f"{label}: no column with index {target} (indices run from 0 to {len(header) - 1}); "
                        f"the columns are: {available}")
    if isinstance(target, str):
        name = target.strip()
        if name in header:
            return header.index(name)
        raise DataError(f'{label}: no column named "{name}"; the columns are: {available}')
    raise DataError(f"{label}: target must be a column name or a 0-based column index, got {target!r}")


# -- loading ----------------------------------------------------------------------------------------------------------
def load_csv(path, target=None, task: str = "auto", test_fraction: float = 0.0, seed: int = 0) -> Dataset:
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
    """
    p = _check_path(path)
    label = _label(p)
    if task not in TASK_CHOICES:
        raise DataError(f"{label}: unknown task {task!r}; choose one of: {', '.join(TASK_CHOICES)}")
    if (isinstance(test_fraction, bool) or not isinstance(test_fraction, Real)
            or not 0.0 <= test_fraction < 1.0):
        raise DataError(f"{label}: test_fraction must be a number in [0, 1), got {test_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise DataError(f"{label}: seed must be a whole number >= 0, got {seed!r}")

    with contextlib.closing(_rows(p)) as rows:
        return _parse(p, rows, target, task, float(test_fraction), int(seed), path)


def _parse(p: Path, rows, target, task: str, test_fraction: float, seed: int, path) -> Dataset:
    label = _label(p)
    first = next(rows, None)
    if first is None:
        raise DataError(f"{label}: the file is empty (it needs a header row and at least {MIN_ROWS} data rows)")
    header_line, raw_header = first
    header = [h.strip() for h in raw_header]
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if not name:
            raise DataError(f"{label}, line {header_line}, column {i + 1}: empty column name in the header")
        if name in seen:
            raise DataError(f'{label}, line {header_line}, column {i + 1}: column name "{name}" is used twice '
                            f"(also column {seen[name] + 1})")
        seen[name] = i
    t = _resolve_target(target, header, label)
    target_name = header[t]
    if len(header) < 2:
        raise DataError(f'{label}: the only column, "{target_name}", is the target, so there are no feature '
                        f"columns; a CSV file needs at least one feature column besides the target")
    feature_cols = [i for i in range(len(header)) if i != t]
    n_cols = len(header)

    features: list[np.ndarray] = []
    targets: list[str] = []
    target_lines: list[int] = []
    for line, row in rows:
        if len(row) != n_cols:
            raise DataError(f"{label}, line {line}: expected {n_cols} cells (one per header column), "
                            f"found {len(row)}")
        try:
            values = np.array([float(row[i]) for i in feature_cols], dtype=np.float64)
            ok = bool(np.isfinite(values).all())
        except ValueError:
            ok = False
        if not ok:  # find the first bad cell and say what is wrong with it
            for i in feature_cols:
                _number(row[i], _where(label, line, i, header[i]))
            raise DataError(f"{label}, line {line}: a feature cell is not a finite number")  # not reached
        cell = row[t].strip()
        if not cell:
            raise DataError(f"{_where(label, line, t, target_name)}: empty target cell")
        features.append(values)
        targets.append(cell)
        target_lines.append(line)

    n = len(targets)
    if n == 0:
        raise DataError(f"{label}: only a header row (line {header_line}), no data rows; at least {MIN_ROWS} "
                        f"are needed")
    if n < MIN_ROWS:
        raise DataError(f"{label}: only {n} data row (line {target_lines[0]}); at least {MIN_ROWS} are needed")
    X = np.vstack(features)

    numbers = [_try_number(c) for c in targets]
    all_numeric = all(v is not None for v in numbers)
    # a target that reads as a number but is NaN or infinite is never a sensible value or class
    for v, c, line in zip(numbers, targets, target_lines):
        if v is not None and not math.isfinite(v):
            raise DataError(f"{_where(label, line, t, target_name)}: {_cell_text(c)} is not a finite number "
                            f"(NaN and infinity are not allowed)")

    if task == "regression":
        resolved = "regression"
    elif task == "auto" and all_numeric:
        whole = all(float(v).is_integer() for v in numbers)
        resolved = "classification" if whole and len(set(numbers)) <= MAX_AUTO_CLASSES else "regression"
    else:
        resolved = "classification"

    class_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()
    if resolved == "regression":
        if not all_numeric:
            i = next(k for k, v in enumerate(numbers) if v is None)
            raise DataError(f"{_where(label, target_lines[i], t, target_name)}: {_cell_text(targets[i])} is not a "
                            f"number (a regression target must be numeric)")
        y = np.asarray(numbers, dtype=np.float64).reshape(n, 1)
        target_names = (target_name,)
        final_task = "regression"
    else:
        if all_numeric:
            distinct = sorted(set(numbers))
            index = {v: k for k, v in enumerate(distinct)}
            y = np.array([index[v] for v in numbers], dtype=np.int64)
            class_names = tuple(_number_name(v) for v in distinct)
        else:
            distinct_s = sorted(set(targets))
            index_s = {s: k for k, s in enumerate(distinct_s)}
            y = np.array([index_s[s] for s in targets], dtype=np.int64)
            class_names = tuple(distinct_s)
        k = len(class_names)
        if k < 2:
            raise DataError(f'{label}, column {t + 1} ("{target_name}"): only one class '
                            f"({_cell_text(class_names[0])}) in all {n} rows; classification needs at least two")
        if task == "binary" and k != 2:
            shown = ", ".join(_cell_text(c) for c in class_names[:12]) + (", ..." if k > 12 else "")
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
        feature_names=tuple(header[i] for i in feature_cols),
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
