"""The Redis broker: many processes, one chat. (Being built: see issue 8.)"""

from __future__ import annotations

from app.broker.memory import MemoryBroker


class RedisBroker(MemoryBroker):
    def __init__(self, url: str) -> None:
        raise NotImplementedError("The Redis broker is not available in this version yet.")
