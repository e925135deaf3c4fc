"""The C allocator, told to give big blocks back to the system as soon as they are freed.

glibc's malloc serves a block of at least its "mmap threshold" (128 KB at first) with a mapping of its own, which
``free`` unmaps at once. But each time such a block is freed, glibc raises the threshold to that block's size (up to
32 MB), so that after a program frees one 18 MB array, every later array of up to 18 MB comes from the heap of the
thread that asks: the studio's training thread, the GUI thread and each background job's thread have a heap of
their own, and what a heap has freed in its middle it keeps. Measured with bench/studio_memory.py (784-128-10 on
MNIST, every panel on screen): 130 to 270 MB kept free inside these heaps after 20 s of training, and the peak
resident memory about 1,030 MB; with the threshold fixed at 1 MB (which also stops it from moving), 6 to 22 MB kept
and the peak about 850 MB. Arrays under 1 MB (a batch of 128 digits is 400 KB) still come from the heaps, so the
training step pays no extra system calls.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

MMAP_THRESHOLD = 1 << 20  # bytes: blocks this big or bigger get a mapping of their own, unmapped when freed
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (glibc's malloc.h)


def give_back_big_blocks(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes for the rest of the process. True when it was set; False
    where there is no glibc (other systems, musl): nothing changes there."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - glibc only: musl's mallopt does nothing
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(_M_MMAP_THRESHOLD, int(threshold)) == 1
