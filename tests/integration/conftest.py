from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support import ChatClient


@pytest.fixture(autouse=True)
async def close_chat_clients() -> AsyncIterator[None]:
    """Close every socket a test opened, so a failed test's sockets do not surface as
    ResourceWarnings in whichever later test the garbage collector happens to run in."""
    yield
    opened, ChatClient.opened[:] = list(ChatClient.opened), []
    for client in opened:
        await client.leave()
