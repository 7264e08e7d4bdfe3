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
