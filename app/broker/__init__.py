"""How events reach every process's connections, and the little state they share.

The room asks for two things (`app/chat/ports.py`): an `EventBus` and a `Registry`. `memory`
(the default) keeps both in this process; `redis` joins many processes, one object serving as
both (they share its connection). The same chat tests run against each. This package depends on
`app.chat`, never the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.broker.memory import MemoryBus, MemoryRegistry
from app.chat.ports import EventBus, Registry
from app.settings import Settings


@dataclass(frozen=True)
class Broker:
    """The bus and registry one process uses."""

    bus: EventBus
    registry: Registry
    in_process: bool  # True: this process alone is the chat


def broker_for(settings: Settings) -> Broker:
    """The broker the settings ask for."""
    if settings.redis.url:
        from app.broker.redis import RedisBroker

        redis = RedisBroker(settings.redis)
        return Broker(redis, redis, in_process=False)
    return Broker(MemoryBus(), MemoryRegistry(), in_process=True)


__all__ = ["Broker", "MemoryBus", "MemoryRegistry", "broker_for"]
