"""Garbage collection for a server that holds thousands of long-lived connections.

CPython's full collection walks every tracked object. With a thousand sockets' worth of them
that is a pause of about a quarter of a second, and under load it came every couple of seconds
(measured with bench/; docs/performance.md). So: what exists once the server is up (modules,
templates, settings) is frozen out of collection, and the youngest generation is collected
after YOUNG allocations instead of CPython's 700, which makes full collections far rarer
while garbage that lives for one frame still goes at once (reference counting frees it).
"""

from __future__ import annotations

import gc

YOUNG = 20_000
MIDDLE = 20
OLD = 10


def tune_for_serving() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, MIDDLE, OLD)
