from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Server, running_server

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(thing: str, available: bool) -> None:
    """Skip when a tool is missing on a developer's machine; fail in CI."""
    if not available:
        if IN_CI:
            pytest.fail(f"{thing} is required in CI but was not found")
        pytest.skip(f"{thing} not available")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path) as running:
        yield running


@pytest.fixture
def redis_server_binary() -> str:
    path = shutil.which("redis-server")
    need("redis-server", path is not None)
    assert path is not None
    return path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run browser tests last: Playwright's sync API keeps an event loop running on the main
    thread for the rest of the session, and asyncio tests cannot start their own loop after it."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid)
