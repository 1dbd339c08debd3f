"""How events reach every process's connections, and the little state they share.

`memory` (the default) keeps everything in this process; `redis` joins many processes.
Both satisfy `Broker`, and the same chat tests run against each.
"""

from __future__ import annotations

from app.broker.base import Broker, EventHandler
from app.broker.memory import MemoryBroker
from app.settings import Settings


def broker_for(settings: Settings) -> Broker:
    """The broker the settings ask for."""
    if settings.redis.url:
        from app.broker.redis import RedisBroker

        redis_broker: Broker = RedisBroker(settings.redis)
        return redis_broker
    return MemoryBroker()


__all__ = ["Broker", "EventHandler", "MemoryBroker", "broker_for"]
