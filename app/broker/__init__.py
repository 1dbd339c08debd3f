"""How events reach every process's connections, and the little state they share.

The room asks for three things (`app/chat/ports.py`): an `EventBus`, a `Registry` and a
`MessageStore`. `memory` (the default) keeps them in this process; `redis` joins many
processes, one broker serving as all three (they share its connection). The same chat tests
run against each. This package depends on `app.chat`, never the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.broker.memory import MemoryBus, MemoryMessages, MemoryRegistry
from app.chat.ports import EventBus, MessageStore, Registry
from app.settings import Settings


@dataclass(frozen=True)
class Broker:
    """The bus and registry one process uses."""

    bus: EventBus
    registry: Registry
    messages: MessageStore
    in_process: bool  # True: this process alone is the chat


def broker_for(settings: Settings) -> Broker:
    """The broker the settings ask for."""
    if settings.redis.url:
        from app.broker.redis import RedisBroker

        redis = RedisBroker(settings.redis)
        return Broker(redis, redis, redis.messages, in_process=False)
    return Broker(MemoryBus(), MemoryRegistry(), MemoryMessages(), in_process=True)


__all__ = ["Broker", "MemoryBus", "MemoryMessages", "MemoryRegistry", "broker_for"]
