"""The shared energy backend: Ising arrays, sweep kernels, random streams, Gaussian prediction-error energy.

Importing this package first settles where numba caches compiled kernels (see
:func:`_cache_apart_for_pinned_thread_count`); every kernel module of the
project is imported through it.
"""

from __future__ import annotations

import os
import tempfile

import numba


def _cache_apart_for_pinned_thread_count() -> None:
    """Give a process started with a non-default ``NUMBA_NUM_THREADS`` its own kernel cache.

    numba builds the thread count of the compiling process into a cached
    ``parallel=True`` kernel: one compiled under ``NUMBA_NUM_THREADS=1`` (a
    single-threaded Dask worker, say) runs on one thread in every process that
    loads it later. Such processes therefore cache under ``threads-<N>``, inside
    ``NUMBA_CACHE_DIR`` when set, else in the temporary directory. Runtime limits
    (``numba.set_num_threads``) do not affect the cache and need nothing.
    """
    threads = numba.config.NUMBA_NUM_THREADS
    if threads == numba.config.NUMBA_DEFAULT_NUM_THREADS:
        return
    base = numba.config.CACHE_DIR or os.path.join(tempfile.gettempdir(), "landscape-numba-cache")
    numba.config.CACHE_DIR = os.path.join(base, f"threads-{threads}")


_cache_apart_for_pinned_thread_count()
