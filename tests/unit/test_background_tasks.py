"""Background tasks are owned: a task that dies is logged at once, by name, with its traceback;
stopping cancels and awaits them all."""

from __future__ import annotations

import asyncio
import logging

import pytest

from app.web.state import BackgroundTasks


async def test_a_task_that_dies_is_logged_by_name_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    async def watchdog() -> None:
        raise RuntimeError("the watchdog tripped")

    tasks = BackgroundTasks()
    tasks.start("send-watchdog", watchdog())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == "background task send-watchdog died"
    assert record.exc_info is not None and "the watchdog tripped" in str(record.exc_info[1])
    assert len(tasks) == 0


async def test_a_lasting_task_that_returns_early_is_logged_and_a_passing_one_is_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def done() -> None:
        return

    tasks = BackgroundTasks()
    tasks.start("heartbeat", done())
    tasks.start("one-off", done(), lasting=False)
    await asyncio.sleep(0.01)
    assert [r.getMessage() for r in caplog.records] == ["background task heartbeat ended before the server stopped"]


async def test_stop_cancels_and_awaits_every_task_without_logging(caplog: pytest.LogCaptureFixture) -> None:
    finished: list[str] = []

    async def forever(name: str) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            finished.append(name)

    tasks = BackgroundTasks()
    for name in ("a", "b"):
        tasks.start(name, forever(name))
    await asyncio.sleep(0)
    await tasks.stop()
    assert sorted(finished) == ["a", "b"] and len(tasks) == 0
    assert caplog.records == []
