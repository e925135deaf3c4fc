"""BLAS threads. Two BLAS threads are erratic on two-core machines; one leaves the other core to the GUI."""

from __future__ import annotations

_limiter = None


def use_blas_threads(n: int = 1) -> None:
    """Limit numpy's BLAS to ``n`` threads for the rest of the process (threadpoolctl does the platform work)."""
    global _limiter
    from threadpoolctl import threadpool_limits

    _limiter = threadpool_limits(limits=n, user_api="blas")


SHARE_SLICE = 0.005  # seconds of work between two lettings-go of the interpreter lock (see sharing_the_lock)


def sharing_the_lock(slice_s: float = SHARE_SLICE):
    """A ``should_stop`` for ``Trainer.run`` on a thread beside a window (it never says stop): every ``slice_s`` of
    training it lets go of Python's interpreter lock (``sleep(0)``). A small network's updates are almost all
    Python, and a thread running them keeps taking the lock back: the window's thread, which needs the lock for every
    event it handles, waited up to 1.3 s for it during a comparison (12 timer ticks a second instead of 50)."""
    import time

    due = [time.perf_counter() + slice_s]

    def share() -> bool:
        now = time.perf_counter()
        if now >= due[0]:
            time.sleep(0)
            due[0] = time.perf_counter() + slice_s
        return False

    return share
