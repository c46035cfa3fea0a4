"""Give the memory a run has freed back to the operating system between its phases (issue #15).

By the time a run writes, its evaluation (typed tabs, frames, job outputs) is freed, but
glibc keeps the freed pages of its heap for its own later use. The next phases allocate
elsewhere: Python's small objects come from arenas of their own, and a reply's bytes
and the JSON parser's buffers are large blocks. So the re-read and the verification read
grew the process on top of pages it no longer used: at 100k rows a writing Google run
peaked about 70 MB higher than it needed to (45 MB for the pages freed before the write,
27 more for those freed before the verification read). ``malloc_trim(0)`` hands those
pages back in a few milliseconds.

A reply's own download leaves such pages too: ``requests`` gathers the body in 10 KB
pieces from the heap, then joins them into one block, and the pieces are freed just as
the JSON parser starts building its document. Handing them back between the download and
the parse (``gsheets_http``) lowered a 100k-row writing run's peak, inside the
verification read, by 70 MB.

Where the C library has no ``malloc_trim`` (macOS, musl), this is a no-op.
"""
from __future__ import annotations

import ctypes
from typing import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # the process's own C library
    except (OSError, AttributeError, TypeError):  # TypeError: no CDLL(None) (Windows)
        return None


_TRIM = _malloc_trim()


def release_free_memory() -> None:
    """Return freed heap pages to the operating system (glibc), else nothing."""
    if _TRIM is not None:
        _TRIM(0)
