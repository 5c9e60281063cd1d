"""A process-pool executor (the standard library's), for CPU-bound objectives on one machine."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor


def make_process_pool(workers: int | None = None, start_method: str = "spawn") -> ProcessPoolExecutor:
    """``workers`` processes (default: the CPU count); ``start_method`` spawn (default, safe with
    torch threads), forkserver or fork."""
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if start_method not in multiprocessing.get_all_start_methods():
        raise ValueError(f"start_method must be one of {multiprocessing.get_all_start_methods()}, got {start_method!r}")
    return ProcessPoolExecutor(
        max_workers=workers or os.cpu_count() or 1, mp_context=multiprocessing.get_context(start_method)
    )
