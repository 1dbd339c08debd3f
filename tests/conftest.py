from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import PostgresServer, RedisServer, Server, postgres_binaries, running_server

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


@pytest.fixture(scope="session")
def postgres_bin() -> Path:
    """Debian's PostgreSQL programs (the `postgresql` package; .ci/run installs it)."""
    found = postgres_binaries()
    need("PostgreSQL (/usr/lib/postgresql/*/bin/postgres)", found is not None)
    assert found is not None
    return found


@pytest.fixture(scope="session")
def shared_postgres(postgres_bin: Path) -> Iterator[PostgresServer]:
    """One private PostgreSQL server for the test session; each test gets a database of its own."""
    server = PostgresServer(postgres_bin).start()
    yield server
    server.remove()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A `DirectMessageHistory.DatabaseURL` for a new, empty database: the same tests run on both."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'history.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("shared_postgres")
    return server.new_database()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run browser tests last: Playwright's sync API keeps an event loop running on the main
    thread for the rest of the session, and asyncio tests cannot start their own loop after it."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid)
