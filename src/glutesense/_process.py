"""Settings of glutesense's own processes (the CLI, batch workers).

Nothing here is applied to a process that merely imports glutesense as a
library; the entry points call it.
"""

from __future__ import annotations

import sys

__all__ = ["retain_freed_memory"]


def retain_freed_memory(trim_mb: int = 256) -> bool:
    """Keep memory freed by this process in its heap for reuse (glibc only).

    The analysis allocates and frees arrays of a few MB for every one-hour
    chunk. By default glibc gives such memory back to the kernel as soon as the
    top of the heap is free (``M_TRIM_THRESHOLD``, dynamically about twice the
    largest array freed so far), and every new array then pays page faults and
    the kernel zeroing fresh pages: memory traffic that two workers on two cores
    contend for. Raising the mmap threshold to glibc's maximum (32 MB) and the
    trim threshold to *trim_mb* keeps up to that much freed memory in the
    process (mallopt(3); the same as the ``MALLOC_MMAP_THRESHOLD_`` and
    ``MALLOC_TRIM_THRESHOLD_`` environment variables). On a 1-hour recording
    this took the page faults of one analysis from about 7000 to 4 and its CPU
    time down by 10–20 % (``benchmarks/analyze.py`` shows the 24 h figure with
    and without). Applied by glutesense's own processes (the CLI, batch
    workers), never by the library on its caller's process. Returns whether it
    was applied (False off glibc).
    """
    import ctypes
    import ctypes.util

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):      # musl and others: no mallopt
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3       # <malloc.h>
    return bool(mallopt(m_mmap_threshold, 32 << 20)) and bool(
        mallopt(m_trim_threshold, int(trim_mb) << 20))
