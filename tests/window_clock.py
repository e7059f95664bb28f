"""Wall time for in-memory sliding windows (the ``limits`` library's and
``llmgw.pipeline.window_counters``'), driven by the test.

``limits`` keys its in-memory windows by ``time.time()`` (minute buckets), so a
test that fills a limit just before a minute boundary would see capacity
reappear after it. Instead of waiting for a safe second, tests freeze that
clock well inside a minute and move it explicitly. Redis windows need no
freezing: they start at the first hit of a key, and tests use fresh keys.
"""

from __future__ import annotations

import time

import limits.aio.storage.memory as memory_storage
import llmgw.pipeline.window_counters as window_counters
import pytest


def mid_minute() -> float:
    """20 s into the current real minute: the frozen clock stays in the same
    minute bucket as the real one, so reset times a server computes against
    the real clock stay within one window (0 < retry-after <= 60)."""
    return (time.time() // 60) * 60 + 20.0


class WindowClock:
    """Stands in for the ``time`` module inside ``limits``' memory storage and
    the gateway's own in-memory windows."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: float | None = None) -> None:
        self.now = mid_minute() if start is None else start
        monkeypatch.setattr(memory_storage, "time", self)
        monkeypatch.setattr(window_counters, "time", self)

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
