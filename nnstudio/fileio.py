"""Writing files so that a crash, a kill or a full disk never leaves a half-written file behind.

``atomic_write`` writes through a hidden temporary file beside the target (``.NAME.<random>.tmp``) and renames it
over the target only once everything is on disk. A symlink is written through: its target is replaced and the link
stays a link. Temporaries of our own left beside a file by an earlier crash or kill -9 are removed the next time the
file is saved or opened (``remove_stale_temporaries``).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import Callable, TextIO

STALE_AFTER = 60.0  # seconds: a temporary older than this is no save in progress (one of ours takes seconds at most)


def resolve_target(path: str | Path) -> Path:
    """The file a write to ``path`` should replace: the final target of a symlink (a chain of links included), or
    ``path`` itself. A dangling link resolves to where it points, so the first save creates that file."""
    path = Path(path)
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def _temporary_pattern(name: str) -> re.Pattern:
    # tempfile.mkstemp(prefix=".NAME.", suffix=".tmp") adds 8 characters of [a-z0-9_]
    return re.compile(rf"^\.{re.escape(name)}\.[a-z0-9_]{{8}}\.tmp$")


def remove_stale_temporaries(path: str | Path, older_than: float = STALE_AFTER) -> list[Path]:
    """Delete our own temporaries of ``path`` (``.NAME.xxxxxxxx.tmp`` beside it) older than ``older_than``
    seconds: what a save that was killed leaves behind. Returns what was removed; errors are ignored (another
    process may be removing the same files)."""
    target = resolve_target(path)
    folder = target.parent
    pattern = _temporary_pattern(target.name)
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.match(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False) or now - entry.stat(follow_symlinks=False).st_mtime < older_than:
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


def atomic_write(path: str | Path, write: Callable[[TextIO], None]) -> Path:
    """Call ``write(f)`` with a text file open on a temporary beside ``path``, then rename it over ``path`` (its
    symlink target, for a link). Any exception (KeyboardInterrupt included) removes the temporary and leaves the
    previous file as it was. Returns the path actually written."""
    target = resolve_target(path)
    remove_stale_temporaries(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            try:  # keep the previous file's permissions; a new file gets the usual rw-r--r-- less the umask
                mode = target.stat().st_mode & 0o777
            except OSError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.fchmod(f.fileno(), mode)
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return target


def atomic_write_text(path: str | Path, text: str) -> Path:
    """``atomic_write`` of one string."""
    return atomic_write(path, lambda f: f.write(text))
