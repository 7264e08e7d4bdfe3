"""Freed heap memory goes back to the system between answers (glibc)."""

import os

import pytest

from assistant.memory import release_freed_memory


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads resident memory from /proc")
def test_freed_heap_blocks_behind_a_live_one_are_returned():
    blocks = [bytearray(64 * 1024) for _ in range(3000)]  # ~190 MB in heap-sized blocks (below mmap's threshold)
    pinned = bytearray(64 * 1024)  # a live block above them: the heap's top cannot shrink on its own
    del blocks
    before = _rss_mb()
    assert release_freed_memory()
    assert before - _rss_mb() > 100
    del pinned


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the peak from /proc")
def test_a_child_reports_its_own_peak_not_the_parents_pages():
    """getrusage's ru_maxrss for a child started by fork and exec counts the parent's resident pages; the child's
    own marked line does not (a 400 MB parent, a child that uses a few dozen MB)."""
    import resource
    import subprocess
    import sys

    from assistant.memory import PEAK_MARK

    ballast = bytearray(400 * 2**20)
    ballast[::4096] = b"x" * len(ballast[::4096])  # touch every page: resident
    code = "import atexit\nfrom assistant.memory import print_peak_rss\natexit.register(print_peak_rss)"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    child.wait()
    own_mb = int(next(line for line in output.splitlines() if line.startswith(PEAK_MARK)).split()[-1]) / 1024
    assert own_mb < 200
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 > 400
    del ballast
