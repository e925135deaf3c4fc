"""nnstudio.malloc: after the studio fixes glibc's mmap threshold, a big array freed hands its memory back to the
system, and the next big array does too (glibc would otherwise keep them in its heaps). Run in a fresh process each:
the setting lasts for the rest of a process."""

import subprocess
import sys

import pytest

PROBE = r"""
import ctypes, sys
import numpy as np

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                               "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "fixed":
    from nnstudio.malloc import give_back_big_blocks
    assert give_back_big_blocks()
big = np.ones(20 << 20, dtype=np.uint8)  # 20 MB, mapped on its own...
del big  # ...and unmapped: glibc now raises its threshold to 20 MB unless it was fixed
before = libc.mallinfo2().hblkhd
a = np.ones(5 << 20, dtype=np.uint8)  # 5 MB: mapped on its own (given back when freed), or from the heap
print((libc.mallinfo2().hblkhd - before) >> 20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_a_big_array_after_a_bigger_one_freed_still_gets_a_mapping_of_its_own():
    def mapped_mb(mode: str) -> int:
        out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return int(out.stdout.split()[-1])

    assert mapped_mb("default") == 0  # glibc's own behaviour: the 5 MB came from the heap (kept when freed)
    assert mapped_mb("fixed") == 5
