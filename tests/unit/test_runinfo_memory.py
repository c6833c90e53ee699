"""runinfo's memory helpers: RSS now, and freed C-heap memory handed back between steps."""
from __future__ import annotations

import resource
import sys
import threading

import numpy as np
import pytest

from market_intel.runinfo import current_rss_mb, release_freed_memory


def test_rss_now_is_positive_and_at_most_the_peak():
    now = current_rss_mb()
    assert now is not None and 10 < now <= resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc_trim")
def test_memory_a_worker_thread_freed_is_returned_after_release():
    def work():  # 64 KB buffers come from the thread's heap (below the mmap threshold)
        buffers = [np.ones(8_000) for _ in range(5_000)]  # 320 MB
        del buffers

    before = current_rss_mb()
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    held = current_rss_mb() - before
    release_freed_memory()
    kept = current_rss_mb() - before
    assert held > 150 and kept < 50, (held, kept)
