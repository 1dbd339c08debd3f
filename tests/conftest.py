from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import RedisServer, Server, running_server

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(thing: str, available: bool) -> None:
    """Skip when a tool is missing on a developer's machine; fail in CI."""
    if not available:
        if IN_CI:
            pytest.fail(f"{thing} is required in CI but was not found")
        pytest.skip(f"{thing} not available")


@pytest.fixture(params=["memory", "redis"])
def broker(request: pytest.FixtureRequest) -> str:
    """Which broker the chat server runs with: the same tests run against both."""
    return str(request.param)


@pytest.fixture
def server(tmp_path: Path, broker: str, request: pytest.FixtureRequest) -> Iterator[Server]:
    overrides = {"Redis": redis_settings(request.getfixturevalue("shared_redis"))} if broker == "redis" else {}
    with running_server(tmp_path, **overrides) as running:
        yield running


def redis_settings(redis: RedisServer, heartbeat: float = 1.0) -> dict[str, object]:
    """[Redis] settings for one test: its own key prefix, so tests sharing a Redis never meet."""
    return {"URL": redis.url, "Prefix": f"test-{uuid.uuid4().hex[:10]}", "HeartbeatSeconds": heartbeat}


@pytest.fixture(scope="session")
def redis_server_binary() -> str:
    path = shutil.which("redis-server")
    need("redis-server", path is not None)
    assert path is not None
    return path


@pytest.fixture(scope="session")
def shared_redis(redis_server_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One private redis-server for the test session; tests keep apart by key prefix."""
    redis = RedisServer(redis_server_binary, tmp_path_factory.mktemp("redis")).start()
    yield redis
    redis.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run browser tests last: Playwright's sync API keeps an event loop running on the main
    thread for the rest of the session, and asyncio tests cannot start their own loop after it."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid)
