"""How events reach every process's connections, and the little state they share.

The room asks for four things (`app/chat/ports.py`): an `EventBus`, a `Registry`, a
`MessageStore` and a `PictureStore`. `memory` (the default) keeps them in this process; `redis`
joins many processes, one broker serving as the first three (they share its connection), the
pictures on a connection of their own (it carries bytes, not text). The same chat tests
run against each. This package depends on `app.chat`, never the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.broker.memory import MemoryBus, MemoryMessages, MemoryPictures, MemoryRegistry
from app.chat.ports import EventBus, MessageStore, PictureStore, Registry
from app.settings import Settings


@dataclass(frozen=True)
class Broker:
    """The bus and registry one process uses."""

    bus: EventBus
    registry: Registry
    messages: MessageStore
    in_process: bool  # True: this process alone is the chat
    pictures: PictureStore


def broker_for(settings: Settings) -> Broker:
    """The broker the settings ask for."""
    capacity = settings.photos.store_megabytes * 1024 * 1024
    if settings.redis.url:
        from app.broker.redis import RedisBroker

        redis = RedisBroker(settings.redis, pictures_capacity=capacity)
        return Broker(redis, redis, redis.messages, in_process=False, pictures=redis.pictures)
    return Broker(MemoryBus(), MemoryRegistry(), MemoryMessages(), in_process=True, pictures=MemoryPictures(capacity))


__all__ = ["Broker", "MemoryBus", "MemoryMessages", "MemoryPictures", "MemoryRegistry", "broker_for"]
