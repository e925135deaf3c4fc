"""Reading a CSV file's cells, fast and exactly: the strict loader (csv_loader.py) builds its Dataset from a
:class:`Table` read here, and the import dialog's preview reads :func:`rows`.

The file is read a quarter of a megabyte at a time. A chunk without a quote character is split at line ends and
delimiters directly, and its numbers are converted a column block at a time; anything unusual in a chunk (a blank
line, a row of the wrong length, a cell that is not a finite number, an empty target) sends that chunk through
:func:`exact_chunk`, which checks one row at a time in file order and raises the first problem with its file, line,
column and value. From the first chunk with a quote on, the csv module reads the rest (a quoted cell may hold the
delimiter or span lines). So every file gives the same Dataset or the same message as reading it row by row would,
about ten times faster, and no single step holds Python's interpreter lock for long.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
from numbers import Integral
from pathlib import Path
from typing import Iterator

import numpy as np

from nnstudio.data.dataset import DataError
from nnstudio.progress import Progress

MIN_ROWS = 2
CHUNK_CHARS = 1 << 18  # text read at a time, then checked and converted at once (a few ms of work)
CHUNK_ROWS = 5_000  # rows read at a time from a file with quoted cells
ENCODING = "utf-8-sig"


# -- text and messages -------------------------------------------------------------------------------------------------
def file_label(path: Path) -> str:
    """How messages refer to the file."""
    return path.name or str(path)


def cell_text(value: str) -> str:
    """A cell value quoted for a message, cut short if it is very long."""
    if len(value) > 40:
        value = value[:37] + "..."
    return '"' + value.replace('"', '\\"') + '"'


def decode_error(p: Path) -> DataError:
    """Locate the first byte sequence that is not UTF-8 and describe it (reading a block at a time: decoding a big
    file in one call would hold Python's interpreter lock, and so the window, for a noticeable moment)."""
    carry, base, line = b"", 0, 1  # bytes held over from the last block, the file offset of data[0], its line
    try:
        with open(p, "rb") as f:
            while True:
                block = f.read(CHUNK_CHARS)
                data = carry + block
                try:
                    data.decode("utf-8")
                    good = len(data)
                except UnicodeDecodeError as exc:
                    cut_short = block and exc.end == len(data) and exc.reason == "unexpected end of data"
                    if not cut_short:  # a real error, not a character split between two blocks
                        line += data[:exc.start].count(b"\n")
                        bad = data[exc.start:exc.end].hex(" ")
                        return DataError(f"{file_label(p)}, line {line}: not valid UTF-8 text (byte {bad} at offset "
                                         f"{base + exc.start}); save the file as UTF-8")
                    good = exc.start
                if not block:
                    break
                line += data[:good].count(b"\n")
                carry, base = data[good:], base + good
    except OSError as exc:
        return DataError(f"{file_label(p)}: cannot be read ({exc.strerror or exc})")
    return DataError(f"{file_label(p)}: not valid UTF-8 text; save the file as UTF-8")


def is_blank(row: list[str]) -> bool:
    return len(row) == 0 or (len(row) == 1 and not row[0].strip())


def pick_delimiter(header_line: str) -> str:
    if "," in header_line:
        return ","
    semicolons, tabs = header_line.count(";"), header_line.count("\t")
    if semicolons == 0 and tabs == 0:
        return ","
    return ";" if semicolons >= tabs else "\t"


def _open(p: Path, label: str):
    """The file opened as CSV text, or DataError saying why it cannot be."""
    try:
        return open(p, encoding=ENCODING, newline="")
    except OSError as exc:
        raise DataError(f"{label}: cannot be opened ({exc.strerror or exc})") from None


def read_rows(p: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (1-based line number where the row starts, cells) for every non-blank row, the header first.

    Raises DataError for unreadable files, text that is not UTF-8, malformed CSV and files with no header at all.
    """
    label = file_label(p)
    f = _open(p, label)
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
            reader = csv.reader(f, delimiter=pick_delimiter(header_line), skipinitialspace=True)
            last_line = 0
            try:
                for row in reader:
                    start = last_line + 1
                    last_line = reader.line_num
                    if not is_blank(row):
                        yield start, row
            except csv.Error as exc:
                raise DataError(f"{label}, line {last_line + 1}: malformed CSV ({exc})") from None
    except UnicodeDecodeError:
        raise decode_error(p) from None
    except OSError as exc:
        raise DataError(f"{label}: cannot be read ({exc.strerror or exc})") from None


def cell_where(label: str, line: int, col: int, name: str) -> str:
    return f'{label}, line {line}, column {col + 1} ("{name}")'


def parse_number(text: str, where: str) -> float:
    """The cell as a finite float, or a DataError that says what is wrong with it."""
    s = text.strip()
    if not s:
        raise DataError(f"{where}: empty cell (expected a number)")
    try:
        v = float(s)
    except ValueError:
        raise DataError(f"{where}: {cell_text(s)} is not a number") from None
    if not math.isfinite(v):
        raise DataError(f"{where}: {cell_text(s)} is not a finite number (NaN and infinity are not allowed)")
    return v


def try_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def resolve_target(target, header: list[str], label: str) -> int:
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


# -- the whole table, in chunks ----------------------------------------------------------------------------------------
class Table:
    """What reading the file gives, chunk by chunk: the feature block, and the target column as a code per row
    into each chunk's distinct labels (plus the targets as numbers while every one is a number). The first
    target that is not a number, and the first that is NaN or infinite, are remembered for the messages. No
    Python string per row is kept: a million of them take a noticeable moment even to free."""

    def __init__(self, header_line: int, header: list[str], t: int):
        self.header_line, self.header, self.t = header_line, header, t
        self.feature_cols = [i for i in range(len(header)) if i != t]
        self.n = 0
        self.first_line = 0  # of the first data row
        self.X_parts: list[np.ndarray] = []
        self.labels: list[tuple[list[str], np.ndarray]] = []  # per chunk: its distinct labels, each row's index
        self.numbers: list[np.ndarray] | None = []  # the targets as numbers, chunk by chunk; None once one is not
        self.not_a_number: tuple[int, str] | None = None  # (line, cell) of the first target that is no number
        self.not_finite: tuple[int, str] | None = None  # ... and of the first NaN or infinite one

    @property
    def n_cols(self) -> int:
        return len(self.header)

    def where(self, label: str, line: int, col: int) -> str:
        return cell_where(label, line, col, self.header[col])

    def add(self, X: np.ndarray, targets: list[str], lines) -> None:
        if not targets:
            return
        if not self.n:
            self.first_line = int(lines[0])
        self.n += len(targets)
        self.X_parts.append(X)
        distinct = list(set(targets))
        index = {s: k for k, s in enumerate(distinct)}
        self.labels.append((distinct, np.fromiter(map(index.__getitem__, targets), np.int64, len(targets))))
        try:
            numbers = np.fromiter(map(float, targets), np.float64, len(targets))
        except ValueError:
            numbers = None
        if numbers is not None:
            if self.not_finite is None and not np.isfinite(numbers).all():
                i = int(np.argmax(~np.isfinite(numbers)))
                self.not_finite = (int(lines[i]), targets[i])
        else:
            self.numbers = None
            values = {s: try_number(s) for s in distinct}
            if self.not_a_number is None:
                i = next(i for i, s in enumerate(targets) if values[s] is None)
                self.not_a_number = (int(lines[i]), targets[i])
            if self.not_finite is None:
                bad = {s for s, v in values.items() if v is not None and not math.isfinite(v)}
                if bad:
                    i = next(i for i, s in enumerate(targets) if s in bad)
                    self.not_finite = (int(lines[i]), targets[i])
        if self.numbers is not None:
            self.numbers.append(numbers)

    def class_codes(self) -> tuple[tuple[str, ...], np.ndarray]:
        """The distinct labels sorted, and each row's index into them."""
        names = sorted(set().union(*(distinct for distinct, _ in self.labels)))
        index = {s: k for k, s in enumerate(names)}
        parts = [np.array([index[s] for s in distinct], dtype=np.int64)[codes] for distinct, codes in self.labels]
        return tuple(names), np.concatenate(parts)


def read_table(p: Path, target, report: Progress) -> Table:
    """Read and check the whole file (header, then every row); raises DataError at the first problem."""
    label = file_label(p)
    f = _open(p, label)
    try:
        with f:
            size = max(os.fstat(f.fileno()).st_size, 1)
            delimiter = _find_delimiter(f, label)
            table, consumed = _read_header(f, label, delimiter, target)
            for X, targets, lines in _body(f, label, delimiter, table, consumed):
                table.add(X, targets, lines)
                report(min(f.buffer.tell() / size, 0.99))
            return table
    except UnicodeDecodeError:
        raise decode_error(p) from None
    except OSError as exc:
        raise DataError(f"{label}: cannot be read ({exc.strerror or exc})") from None


def _find_delimiter(f, label: str) -> str:
    """The delimiter the first non-blank line uses; the file is left at its start."""
    for line in f:
        if line.strip():
            f.seek(0)
            return pick_delimiter(line)
    raise DataError(f"{label}: the file is empty (it needs a header row and at least {MIN_ROWS} data rows)")


def _read_header(f, label: str, delimiter: str, target) -> tuple[Table, int]:
    """The first non-blank row, checked; and how many lines it and the blank lines before it took."""
    reader = csv.reader(f, delimiter=delimiter, skipinitialspace=True)
    last_line = 0
    try:
        for row in reader:
            start, last_line = last_line + 1, reader.line_num
            if not is_blank(row):
                break
        else:
            raise DataError(f"{label}: the file is empty (it needs a header row and at least {MIN_ROWS} data rows)")
    except csv.Error as exc:
        raise DataError(f"{label}, line {last_line + 1}: malformed CSV ({exc})") from None
    header = [h.strip() for h in row]
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if not name:
            raise DataError(f"{label}, line {start}, column {i + 1}: empty column name in the header")
        if name in seen:
            raise DataError(f'{label}, line {start}, column {i + 1}: column name "{name}" is used twice '
                            f"(also column {seen[name] + 1})")
        seen[name] = i
    t = resolve_target(target, header, label)
    if len(header) < 2:
        raise DataError(f'{label}: the only column, "{header[t]}", is the target, so there are no feature '
                        f"columns; a CSV file needs at least one feature column besides the target")
    return Table(start, header, t), last_line


def _body(f, label: str, delimiter: str, table: Table, consumed: int):
    """Yield (X, targets, lines) chunk by chunk for every data row, or raise DataError at the first problem.

    Lines without a quote character are split directly (fast); from the first chunk with one on, the csv module
    reads the rest (a quoted cell may hold the delimiter or span lines)."""
    while True:
        lines = f.readlines(CHUNK_CHARS)
        if not lines:
            return
        if '"' in "".join(lines):
            yield from _body_csv(itertools.chain(lines, f), label, delimiter, table, consumed)
            return
        yield _plain_chunk(lines, consumed + 1, label, delimiter, table)
        consumed += len(lines)


def _plain_chunk(lines: list[str], first: int, label: str, delimiter: str, table: Table):
    """Rows of ``lines`` (no quotes: one line is one row, cells are what lies between delimiters); ``first`` is
    the line number of lines[0]."""
    n_cols = table.n_cols
    cells = list(map(str.rstrip, lines, itertools.repeat("\r\n")))
    counts = list(map(str.count, cells, itertools.repeat(delimiter)))
    numbers = np.arange(first, first + len(lines))
    if counts.count(n_cols - 1) != len(cells):
        # blank lines (skipped), or rows with too few or too many cells
        keep = [i for i, (text, k) in enumerate(zip(cells, counts)) if k or text.strip()]
        if any(counts[i] != n_cols - 1 for i in keep):
            return exact_chunk(_numbered(lines, first, delimiter), label, table)
        cells = [cells[i] for i in keep]
        numbers = numbers[keep]
    flat = delimiter.join(cells).split(delimiter)
    return (_fast_chunk(flat, numbers, table)
            or exact_chunk(_numbered(lines, first, delimiter), label, table))


def _numbered(lines: list[str], first: int, delimiter: str):
    """(line number, cells) of quote-free lines, as the csv module reads them."""
    return zip(itertools.count(first), csv.reader(lines, delimiter=delimiter, skipinitialspace=True))


def _body_csv(lines, label: str, delimiter: str, table: Table, consumed: int):
    """The rows of ``lines`` read by the csv module, in chunks, each row with the line it starts on."""
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
    last_line = 0
    n_cols = table.n_cols
    while True:
        numbered: list[tuple[int, list[str]]] = []
        try:
            for row in reader:
                start, last_line = last_line + 1, reader.line_num
                if not is_blank(row):
                    numbered.append((consumed + start, row))
                    if len(numbered) >= CHUNK_ROWS:
                        break
        except csv.Error as exc:
            if numbered:  # earlier rows may hold an earlier problem
                exact_chunk(numbered, label, table)
            raise DataError(f"{label}, line {consumed + last_line + 1}: malformed CSV ({exc})") from None
        if not numbered:
            return
        rows = [row for _, row in numbered]
        if all(len(row) == n_cols for row in rows):
            flat = list(itertools.chain.from_iterable(rows))
            chunk = _fast_chunk(flat, np.array([k for k, _ in numbered]), table)
            yield chunk or exact_chunk(numbered, label, table)
        else:
            yield exact_chunk(numbered, label, table)


def _fast_chunk(flat: list[str], lines: np.ndarray, table: Table):
    """(X, targets, lines) of a block of well-shaped rows, given as their cells one row after another; None if a
    cell is not as it should be (then :func:`exact_chunk` finds it and says what is wrong)."""
    n, t, k = len(lines), table.t, table.n_cols
    targets = list(map(str.strip, flat[t::k]))
    if "" in targets:
        return None
    del flat[t::k]  # the feature cells are left, row after row
    try:
        X = np.fromiter(map(float, flat), np.float64, len(flat)).reshape(n, k - 1)
    except ValueError:
        return None
    if not np.isfinite(X).all():
        return None
    return X, targets, lines


def exact_chunk(numbered_rows, label: str, table: Table):
    """(X, targets, lines) of (line, cells) pairs checked one row at a time, in file order: the first problem
    raises a DataError that says where and what."""
    n_cols, t = table.n_cols, table.t
    features, targets, lines = [], [], []
    for line, row in numbered_rows:
        if is_blank(row):
            continue
        if len(row) != n_cols:
            raise DataError(f"{label}, line {line}: expected {n_cols} cells (one per header column), "
                            f"found {len(row)}")
        try:
            values = [float(row[i]) for i in table.feature_cols]
            ok = all(math.isfinite(v) for v in values)
        except ValueError:
            ok = False
        if not ok:  # find the first bad cell and say what is wrong with it
            for i in table.feature_cols:
                parse_number(row[i], table.where(label, line, i))
            raise DataError(f"{label}, line {line}: a feature cell is not a finite number")  # not reached
        cell = row[t].strip()
        if not cell:
            raise DataError(f"{table.where(label, line, t)}: empty target cell")
        features.append(values)
        targets.append(cell)
        lines.append(line)
    X = np.array(features, dtype=np.float64).reshape(len(features), len(table.feature_cols))
    return X, targets, lines
