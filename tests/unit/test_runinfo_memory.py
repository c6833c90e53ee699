"""runinfo's memory helpers: RSS now, the peak within a block, freed C-heap memory handed back.

The measurements run in a fresh interpreter: in the test process, heap left over by earlier tests
would be reused by the allocations below and hide them from RSS."""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap

import pytest

from market_intel.runinfo import current_rss_mb

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and glibc malloc_trim")


def measure(body: str) -> dict:
    script = "import json, threading, time\nimport numpy as np\n" \
             "from market_intel.runinfo import PeakMeter, current_rss_mb, release_freed_memory\n" \
             + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_rss_now_is_positive_and_at_most_the_peak():
    now = current_rss_mb()
    assert now is not None and 10 < now <= resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + 1


@linux_only
def test_memory_a_worker_thread_freed_is_returned_after_release():
    got = measure("""
        pins = []
        def work():  # 64 KB buffers come from the thread's heap (below the mmap threshold): 320 MB
            buffers = [np.ones(8_000) for _ in range(5_000)]
            # a live buffer above them, so glibc cannot give the freed ones back by trimming the heap's
            # top on its own (it did, partly, on some runs: 'held' 140 MB): only release_freed_memory can
            pins.append(np.ones(8_000))
            del buffers
        before = current_rss_mb()
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        held = current_rss_mb() - before
        release_freed_memory()
        print(json.dumps({"held": held, "kept": current_rss_mb() - before}))
    """)
    assert got["held"] > 150 and got["kept"] < 50, got


@linux_only
def test_the_peak_meter_sees_a_short_lived_allocation_inside_its_block_only():
    got = measure("""
        before = current_rss_mb()
        with PeakMeter(interval=0.01) as meter:
            block = np.ones(40_000_000)  # 320 MB, touched
            block += 1
            time.sleep(0.1)
            del block
        with PeakMeter(interval=0.01) as quiet:
            pass
        print(json.dumps({"peak": meter.peak_mb - before, "quiet": quiet.peak_mb - before}))
    """)
    assert got["peak"] > 250 and got["quiet"] < 50, got


@linux_only
def test_the_peak_so_far_is_this_programs_not_the_peak_of_the_process_that_started_it():
    """A run started by a process holding 400 MB: getrusage's ru_maxrss in the run counts the starter's
    memory (fork, then exec), the run's own high-water mark (what `peak RSS so far` now logs) does not."""
    child = ("import json, resource; from market_intel.runinfo import peak_rss_mb; "
             "print(json.dumps({'peak': peak_rss_mb(), 'ru_maxrss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))")
    got = measure(f"""
        held = np.ones(50_000_000)  # 400 MB, touched
        done = __import__("subprocess").run([__import__("sys").executable, "-c", {child!r}],
                                            capture_output=True, text=True, check=True)
        print(done.stdout.strip().splitlines()[-1])
        """)
    assert got["ru_maxrss"] > 400
    assert 10 < got["peak"] < 250
