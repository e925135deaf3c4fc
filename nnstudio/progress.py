"""Long work (reading a big CSV file, writing a session) says how far it is and can be stopped part-way.

Such work takes a ``progress`` callback and calls it between chunks with the share done so far, a fraction from 0 to
1. The callback may raise :class:`Cancelled` to stop the work; the work then leaves everything as it was before it
began (no half-loaded data, the previous file untouched) and lets the exception through.
"""

from __future__ import annotations

from typing import Callable

Progress = Callable[[float], None]


class Cancelled(Exception):
    """Raised by a progress callback to stop the work that called it."""

    def __init__(self, message: str = "cancelled"):
        super().__init__(message)


def no_progress(fraction: float) -> None:
    """The callback used when nobody is watching."""
