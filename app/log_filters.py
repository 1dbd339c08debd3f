"""Log records that say nothing an operator can act on, and are dropped.

Python 3.11's `asyncio.StreamReaderProtocol` asks a connection's task for its exception when
the task ends; if the task was cancelled, that question itself raises, and asyncio logs
"Exception in callback StreamReaderProtocol.connection_made.<locals>.callback" with a
CancelledError traceback (CPython gh-113538, fixed in 3.12). Hypercorn cancels the tasks of
recently closed connections when it stops, so every restart after a busy spell logged one
such traceback per connection. Nothing failed: the filter drops exactly those records.
"""

from __future__ import annotations

import asyncio
import logging

_CALLBACK = "Exception in callback StreamReaderProtocol.connection_made.<locals>.callback"


class CancelledConnectionCallback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        cancelled = record.exc_info is not None and isinstance(record.exc_info[1], asyncio.CancelledError)
        return not (cancelled and record.getMessage().startswith(_CALLBACK))


def install() -> None:
    """Add the filter to the asyncio logger, once."""
    asyncio_log = logging.getLogger("asyncio")
    if not any(isinstance(f, CancelledConnectionCallback) for f in asyncio_log.filters):
        asyncio_log.addFilter(CancelledConnectionCallback())
