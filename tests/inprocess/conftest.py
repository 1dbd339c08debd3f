from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from app.settings import RedisSettings, Settings, settings_for_tests
from app.settings.model import TURNSettings
from tests.inprocess.chat import InProcessChat


def settings_for(broker: str, request: pytest.FixtureRequest) -> Settings:
    """Default settings (no STUN servers), on the broker the test is parametrized with."""
    settings = settings_for_tests(turn=TURNSettings(urls=()))
    if broker == "redis":
        redis = request.getfixturevalue("shared_redis")
        prefix = f"test-{uuid.uuid4().hex[:10]}"
        settings = settings_for_tests(
            turn=TURNSettings(urls=()), redis=RedisSettings(url=redis.url, prefix=prefix, heartbeat_seconds=1.0)
        )
    return settings


@pytest.fixture
async def chat(broker: str, request: pytest.FixtureRequest) -> AsyncIterator[InProcessChat]:
    """The chat application in this process, on each broker in turn."""
    async with InProcessChat.running(settings_for(broker, request)) as running:
        yield running
