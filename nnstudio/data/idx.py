"""IDX files, the format MNIST and its relatives (Fashion-MNIST, Kuzushiji-MNIST) are published in, raw or gzipped;
and Keras's ``mnist.npz``.

An IDX file is a header and then the values, row-major::

    0x00 0x00   two zero bytes
    0x08        the type of the values: 0x08 is unsigned bytes, the only type read here
    n           the number of dimensions (3 for images: count, height, width; 1 for labels: count)
    n x 4 bytes each dimension's size, a big-endian 32-bit number
    the values  exactly as many as the sizes multiply to

so an image file starts with the magic number 0x00000803 and a label file with 0x00000801. A gzipped file (it
starts with 0x1f 0x8b, whatever its name) is read through gzip. Anything else (a file cut short, a file with more
bytes than its header declares, another format, another value type, images and labels that do not pair up) is
refused with a :class:`DataError` naming the file and what is wrong, e.g.::

    train-images-idx3-ubyte.gz: 47,040,000 bytes of pixels expected, 1,000 found (the file is cut short)
"""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass
from math import prod
from pathlib import Path

import numpy as np

from nnstudio.data.dataset import DataError
from nnstudio.fileio import atomic_write
from nnstudio.numbers import count
from nnstudio.progress import Progress, no_progress

GZIP_MAGIC = b"\x1f\x8b"
UBYTE = 0x08
MAGIC_IMAGES = 0x00000803  # unsigned bytes, 3 dimensions
MAGIC_LABELS = 0x00000801  # unsigned bytes, 1 dimension
TYPE_NAMES = {0x08: "unsigned bytes", 0x09: "signed bytes", 0x0B: "16-bit integers", 0x0C: "32-bit integers",
              0x0D: "32-bit floats", 0x0E: "64-bit floats"}
MAX_VALUES = 1 << 32  # 4 GB of bytes: far beyond any dataset a learner trains on here; a damaged header claims more
CHUNK = 1 << 22  # bytes decoded between progress calls
_ROLE = {3: "an image file", 1: "a label file"}


@dataclass(frozen=True)
class ImageSet:
    """Images and labels that pair up: ``images`` (n, height, width) uint8, ``labels`` (n,) uint8."""

    images: np.ndarray
    labels: np.ndarray


def _label(path: Path) -> str:
    return path.name or str(path)


def _open(path: Path):
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise DataError(f"{_label(path)}: no such file ({path})") from None
    except IsADirectoryError:
        raise DataError(f"{_label(path)}: is a folder, not an IDX file ({path})") from None
    except OSError as e:
        raise DataError(f"{_label(path)}: cannot be read ({e.strerror or e})") from None


def _read_exactly(f, n: int) -> bytes:
    """Up to ``n`` bytes: fewer only where the data ends (a gzip stream cut short ends there too)."""
    parts, got = [], 0
    while got < n:
        try:
            part = f.read(n - got)
        except EOFError:  # gzip: the stream ended before its end marker
            part = b""
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def read_idx(path, ndim: int | None = None, what: str = "values", progress: Progress | None = None) -> np.ndarray:
    """The array an IDX file holds (raw or gzipped, told apart by its first bytes), shaped as its header says.

    ``ndim``, when given, is the number of dimensions the caller needs (3 for images, 1 for labels), and ``what``
    names the values in messages ("pixels", "labels"). ``progress(fraction)`` is called as the values are read and
    may raise ``nnstudio.progress.Cancelled`` to stop. Raises DataError naming the file for anything wrong."""
    path = Path(os.fspath(path))
    name = _label(path)
    report = progress or no_progress
    report(0.0)
    with _open(path) as raw:
        try:
            gzipped = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            f = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
            values = _read_body(f, name, ndim, what, gzipped, report)
        except (gzip.BadGzipFile, zlib.error, EOFError) as e:
            raise DataError(f"{name}: the gzip data is damaged ({e})") from None
        except OSError as e:
            raise DataError(f"{name}: cannot be read ({e.strerror or e})") from None
    report(1.0)
    return values


def _read_body(f, name: str, ndim: int | None, what: str, gzipped: bool, report: Progress) -> np.ndarray:
    kind = "a gzipped file" if gzipped else "a file"
    head = _read_exactly(f, 4)
    if len(head) < 4 or head[:2] != b"\0\0":
        shown = " ".join(f"{b:02x}" for b in head) or "nothing"
        raise DataError(f"{name}: not an IDX file ({kind} starting with {shown}; an IDX file starts with 00 00, "
                        f"e.g. 00 00 08 03 for images)")
    magic = int.from_bytes(head, "big")
    if head[2] != UBYTE:
        kind_name = TYPE_NAMES.get(head[2], "an unknown type")
        raise DataError(f"{name}: holds {kind_name} (magic number 0x{magic:08x}, type 0x{head[2]:02x}); only "
                        f"unsigned bytes (type 0x08) are read")
    n_dims = head[3]
    if ndim is not None and n_dims != ndim:
        raise DataError(f"{name}: magic number 0x{magic:08x} ({n_dims} dimension{'s' if n_dims != 1 else ''}), but "
                        f"{_ROLE.get(ndim, 'the file needed')} has 0x{(UBYTE << 8) | ndim:08x} ({ndim} "
                        f"dimension{'s' if ndim != 1 else ''})")
    if n_dims == 0:
        raise DataError(f"{name}: its header declares no dimensions")
    raw_dims = _read_exactly(f, 4 * n_dims)
    if len(raw_dims) < 4 * n_dims:
        raise DataError(f"{name}: the header is cut short ({4 + len(raw_dims)} of {4 + 4 * n_dims} bytes)")
    dims = tuple(int.from_bytes(raw_dims[i:i + 4], "big") for i in range(0, 4 * n_dims, 4))
    expected = prod(dims)
    if expected > MAX_VALUES:
        raise DataError(f"{name}: its header declares {' x '.join(count(d) for d in dims)} = {count(expected)} "
                        f"values, more than NN Studio reads ({count(MAX_VALUES)})")
    values = np.empty(expected, dtype=np.uint8)
    view = memoryview(values)
    found = 0
    while found < expected:
        try:
            n = f.readinto(view[found:found + CHUNK])
        except EOFError:  # gzip: the stream ended before its end marker
            n = 0
        if not n:
            break
        found += n
        report(found / expected)
    if found < expected:
        raise DataError(f"{name}: {count(expected)} bytes of {what} expected, {count(found)} found (the file is cut "
                        f"short)")
    extra = 0
    while part := f.read(CHUNK):
        extra += len(part)
    if extra:
        raise DataError(f"{name}: {count(extra)} byte{'s' if extra != 1 else ''} more than the {count(expected)} "
                        f"bytes of {what} its header declares")
    return values.reshape(dims)


def read_images(path, progress: Progress | None = None) -> np.ndarray:
    """An image file: (count, height, width) uint8."""
    images = read_idx(path, 3, "pixels", progress)
    if 0 in images.shape[1:]:
        raise DataError(f"{_label(Path(path))}: its images are {images.shape[1]} x {images.shape[2]} pixels: "
                        f"there is nothing to see")
    return images


def read_labels(path, progress: Progress | None = None) -> np.ndarray:
    """A label file: (count,) uint8."""
    return read_idx(path, 1, "labels", progress)


def read_pair(images_path, labels_path, progress: Progress | None = None) -> ImageSet:
    """An image file and its label file, checked to hold one label per image."""
    report = progress or no_progress
    images = read_images(images_path, lambda f: report(0.98 * f))
    labels = read_labels(labels_path, lambda f: report(0.98 + 0.02 * f))
    if len(images) != len(labels):
        raise DataError(f"{_label(Path(images_path))} holds {count(len(images))} images but "
                        f"{_label(Path(labels_path))} holds {count(len(labels))} labels: they are not a pair")
    return ImageSet(images, labels)


# -- writing -----------------------------------------------------------------------------------------------------------
def idx_bytes(array) -> bytes:
    """The IDX encoding of an array of whole numbers from 0 to 255 (any shape of 1 to 255 dimensions)."""
    a = np.asarray(array)
    if a.dtype != np.uint8:
        if a.size and (not np.issubdtype(a.dtype, np.integer) or a.min() < 0 or a.max() > 255):
            raise ValueError("IDX files written here hold whole numbers from 0 to 255")
        a = a.astype(np.uint8)
    if not 1 <= a.ndim <= 255:
        raise ValueError(f"an IDX file holds 1 to 255 dimensions, not {a.ndim}")
    header = bytes([0, 0, UBYTE, a.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in a.shape)
    return header + np.ascontiguousarray(a).tobytes()


def write_idx(path, array, compress: bool | None = None) -> Path:
    """Write ``array`` (whole numbers 0..255) as an IDX file, gzipped when ``compress`` is True (None: when the name
    ends in .gz). The gzip stream carries no name or time, so the same array always gives the same bytes. Written
    atomically (a crash leaves any earlier file as it was)."""
    path = Path(os.fspath(path))
    data = idx_bytes(array)
    if compress if compress is not None else path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)
    return atomic_write(path, lambda f: f.buffer.write(data))


# -- Keras's mnist.npz -------------------------------------------------------------------------------------------------
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_npz(path) -> tuple[ImageSet, ImageSet]:
    """The (train, test) image sets of a Keras-style ``mnist.npz`` (arrays x_train (n, h, w), y_train (n,), x_test,
    y_test of whole numbers 0..255), read without unpickling anything."""
    path = Path(os.fspath(path))
    name = _label(path)
    with _open(path) as f:
        if f.read(4) != b"PK\x03\x04":
            raise DataError(f"{name}: not an .npz file (an .npz file is a zip archive of arrays)")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in NPZ_KEYS if k not in z.files]
            if missing:
                raise DataError(f"{name}: no array {', '.join(missing)} (it holds {', '.join(z.files) or 'none'}; "
                                f"expected {', '.join(NPZ_KEYS)})")
            arrays = {k: z[k] for k in NPZ_KEYS}
        for k, a in arrays.items():
            if not isinstance(a, np.ndarray):  # a member that is not in .npy format comes back as its bytes
                raise DataError(f"{name}: {k} is not a numpy array")
    except DataError:
        raise
    except (OSError, ValueError, EOFError, KeyError) as e:  # a damaged archive, an array of objects
        raise DataError(f"{name}: cannot be read as arrays ({' '.join(str(e).split())})") from None
    sets = []
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.ndim != 3 or 0 in x.shape[1:]:
            raise DataError(f"{name}: x_{part} has shape {x.shape}; expected (images, height, width)")
        if y.ndim == 2 and y.shape[1:] == (1,):
            y = y[:, 0]
        if y.ndim != 1:
            raise DataError(f"{name}: y_{part} has shape {y.shape}; expected one label per image")
        for key, a in ((f"x_{part}", x), (f"y_{part}", y)):
            if not np.issubdtype(a.dtype, np.integer) or (a.size and (a.min() < 0 or a.max() > 255)):
                raise DataError(f"{name}: {key} must hold whole numbers from 0 to 255 (it holds {a.dtype})")
        if len(x) != len(y):
            raise DataError(f"{name}: x_{part} holds {count(len(x))} images but y_{part} {count(len(y))} labels")
        sets.append(ImageSet(x.astype(np.uint8, copy=False), y.astype(np.uint8, copy=False)))
    return sets[0], sets[1]
