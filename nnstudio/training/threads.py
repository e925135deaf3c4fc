"""BLAS threads. Two BLAS threads are erratic on two-core machines; one leaves the other core to the GUI."""

from __future__ import annotations

_limiter = None


def use_blas_threads(n: int = 1) -> None:
    """Limit numpy's BLAS to ``n`` threads for the rest of the process (threadpoolctl does the platform work)."""
    global _limiter
    from threadpoolctl import threadpool_limits

    _limiter = threadpool_limits(limits=n, user_api="blas")
