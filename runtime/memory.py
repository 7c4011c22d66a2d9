"""Process memory the runtime manages itself (glibc/Linux; each call is a no-op elsewhere).

* ``fixed_mmap_threshold``: glibc serves blocks over a threshold with their own mmap and returns
  them on free, but by default raises that threshold (up to 32 MB) each time such a block is freed,
  so the next same-sized arrays (graph outputs, source STFT, audio) come from the heap, whose freed
  holes it keeps. Fixing the threshold keeps large blocks mmapped: medium text, default fp32 bundle,
  peak RSS 763 -> 719 MB, and the heap no longer grows from one sentence to the next.
* ``trim_heap``: return the heap's free pages after a one-off burst of small objects (the
  lexicons' JSON while they are packed: 58 -> 40 MB).
* ``drop_file_pages``: drop this process's resident pages of read-only file mappings.
"""

from __future__ import annotations

import ctypes
import threading

MMAP_THRESHOLD = 1 << 20  # bytes; blocks at least this large are mmapped and unmapped on free
_M_MMAP_THRESHOLD = -3  # mallopt parameter (malloc.h)
_MADV_DONTNEED = 4

_LIBC = None
_LOCK = threading.Lock()
_fixed = False


def _libc():
    global _LIBC
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL(None, use_errno=True)
        except OSError:
            _LIBC = False
    return _LIBC


def fixed_mmap_threshold() -> None:
    """Fix glibc's mmap threshold at ``MMAP_THRESHOLD`` (once per process)."""
    global _fixed
    with _LOCK:
        libc = _libc()
        if not _fixed and libc and hasattr(libc, "mallopt"):
            libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        _fixed = True


def trim_heap() -> None:
    libc = _libc()
    if libc and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def drop_file_pages(paths: set[str]) -> int:
    """Drop this process's resident pages of read-only mappings of ``paths`` (bytes dropped).

    Only for mappings that can never be written (``r--``): their pages are clean page cache, so the
    next access maps them back from the cache (or the file) with the same contents."""
    libc = _libc()
    if not libc:
        return 0
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    dropped = 0
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                parts = line.split(maxsplit=5)
                if len(parts) == 6 and parts[5].rstrip("\n") in paths and parts[1][:3] == "r--":
                    start, end = (int(x, 16) for x in parts[0].split("-"))
                    if libc.madvise(start, end - start, _MADV_DONTNEED) == 0:
                        dropped += end - start
    except OSError:
        pass
    return dropped
