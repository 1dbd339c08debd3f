"""The send queue on its own: joining fragments, and when a client counts as stopped reading."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from app.web import send_queue
from app.web.send_queue import DATA, HTML, PART, QueueFull, SendQueue, Watchdog


def queue(max_frames: int = 100, max_chars: int = 1000, send_timeout: float = 60.0) -> SendQueue:
    return SendQueue(max_frames, max_chars, send_timeout)


async def drained(q: SendQueue) -> list[str]:
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    q.close(1000, "bye")
    assert await q.drain(send) == (1000, "bye")
    return sent


@asynccontextmanager
async def stalled_writer(q: SendQueue) -> AsyncIterator[list[str]]:
    """A writer whose first send never returns, as on a socket whose kernel buffer is full."""
    taken: list[str] = []
    never = asyncio.Event()

    async def send(text: str) -> None:
        taken.append(text)
        await never.wait()

    writer = asyncio.create_task(q.drain(send))
    assert q.put(HTML, "first")
    while not taken:
        await asyncio.sleep(0)
    assert q.blocked_since is not None
    try:
        yield taken
    finally:
        writer.cancel()


async def test_fragments_that_piled_up_go_out_as_one_frame_and_data_frames_alone() -> None:
    q = queue()
    for kind, text in [(HTML, "<a>"), (HTML, "<b>"), (DATA, '{"x":1}'), (HTML, "<c>")]:
        assert q.put(kind, text)
    assert await drained(q) == ["<a>" + PART + "<b>", '{"x":1}', "<c>"]
    assert q.pending_chars == 0


async def test_joined_frames_stay_under_the_join_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(send_queue, "JOIN_LIMIT", 10)
    q = queue()
    for text in ["aaaa", "bbbb", "cccc", "dddddddddddd", "e"]:
        assert q.put(HTML, text)
    assert await drained(q) == ["aaaa" + PART + "bbbb", "cccc", "dddddddddddd", "e"]


def test_a_backlog_the_writer_has_not_had_its_turn_for_is_not_held_against_the_client() -> None:
    q = queue(max_frames=3, max_chars=10)
    assert all(q.put(HTML, "xxxx") for _ in range(10))  # a burst being fanned out
    assert not q.overflowed


async def test_too_many_frames_behind_a_blocked_send_cut_the_client_off() -> None:
    cut: list[bool] = []
    q = SendQueue(3, 1000, 60.0, on_overflow=lambda: cut.append(True))
    async with stalled_writer(q):
        assert all(q.put(HTML, "x") for _ in range(3))
        assert not q.put(HTML, "x")
        assert q.overflowed and cut == [True]
        assert not q.put(HTML, "x")  # once cut off, nothing more is taken
        assert cut == [True]


async def test_too_much_text_held_cuts_the_client_off_counting_the_blocked_send() -> None:
    q = queue(max_chars=1000)
    async with stalled_writer(q):
        assert q.pending_chars == len("first")  # out of the queue, into the blocked send
        assert q.put(HTML, "a" * 600)
        assert q.put(HTML, "b" * 395)
        assert not q.put(HTML, "c")
        assert q.overflowed


async def test_the_watchdog_cuts_off_a_send_blocked_too_long_even_with_nothing_more_to_send() -> None:
    cut: list[bool] = []
    q = SendQueue(100, 1000, 0.05, on_overflow=lambda: cut.append(True))
    idle = queue(send_timeout=0.05)
    watchdog = Watchdog()
    watchdog.queues |= {q, idle}
    async with stalled_writer(q):
        watchdog.check(time.monotonic())
        assert not q.overflowed  # blocked, but not for long yet
        await asyncio.sleep(0.1)
        watchdog.check(time.monotonic())
        assert q.overflowed and cut == [True]
        assert not idle.overflowed  # nothing in flight: nothing to time out


async def test_the_writer_stops_with_queue_full_once_its_send_returns() -> None:
    q = queue(max_frames=1)
    release = asyncio.Event()

    async def send(text: str) -> None:
        await release.wait()

    writer = asyncio.create_task(q.drain(send))
    assert q.put(HTML, "first")
    while q.blocked_since is None:
        await asyncio.sleep(0)
    assert q.put(HTML, "x")
    assert not q.put(HTML, "y")
    release.set()
    with pytest.raises(QueueFull):
        await asyncio.wait_for(writer, 5)


async def test_the_pacing_clock_sends_a_quiet_rooms_update_at_once_and_joins_what_follows_into_one_frame() -> None:
    clock = send_queue.PacingClock(0.2)
    q = SendQueue(100, 1000, 60.0, clock=clock)
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    writer = asyncio.create_task(q.drain(send))
    try:
        q.put(HTML, "<a>")
        for _ in range(5):
            await asyncio.sleep(0)
        assert sent == ["<a>"]  # nothing was sent lately: no waiting
        q.put(HTML, "<b>")
        q.put(HTML, "<c>")
        for _ in range(5):
            await asyncio.sleep(0)
        assert sent == ["<a>"]  # within a tick of the last: held for the next tick
        started = time.monotonic()
        while len(sent) < 2:
            await asyncio.sleep(0.01)
        assert sent == ["<a>", "<b>" + PART + "<c>"] and time.monotonic() - started < 0.5
    finally:
        writer.cancel()


async def test_one_tick_wakes_every_writer_that_has_something() -> None:
    clock = send_queue.PacingClock(0.05)
    queues = [SendQueue(100, 1000, 60.0, clock=clock) for _ in range(3)]
    sent: list[list[str]] = [[] for _ in queues]
    writers = [
        asyncio.create_task(q.drain(lambda text, box=box: _append(box, text)))  # type: ignore[misc]
        for q, box in zip(queues, sent, strict=True)
    ]
    try:
        for q in queues:
            q.put(HTML, "<x>")
        await asyncio.sleep(0.01)
        assert sent == [["<x>"]] * 3
    finally:
        for writer in writers:
            writer.cancel()


async def _append(box: list[str], text: str) -> None:
    box.append(text)


async def test_a_writer_woken_to_a_long_backlog_holds_one_joined_frame_at_a_time() -> None:
    # 200 fragments of 16 KB: joined all at once they would be a second 3.2 MB copy per writer,
    # and a room of writers waking together would hold hundreds of megabytes.
    fragment = "x" * 16_000
    q = queue(max_frames=1000, max_chars=10_000_000)
    for _ in range(200):
        assert q.put(HTML, fragment)
    growth: list[int] = []

    async def send(text: str) -> None:
        growth.append(tracemalloc.get_traced_memory()[0] - before)

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        q.close(1000, "bye")
        await q.drain(send)
    finally:
        tracemalloc.stop()
    assert len(growth) == 50  # four fragments to a frame, under JOIN_LIMIT
    assert max(growth) < 2 * send_queue.JOIN_LIMIT


async def test_what_arrives_while_a_writer_sends_waits_for_the_next_tick_to_go_out_together() -> None:
    q = SendQueue(100, 100_000, 60.0, clock=send_queue.PacingClock(60.0))
    sent: list[str] = []
    release = asyncio.Event()

    async def send(text: str) -> None:
        sent.append(text)
        if len(sent) == 1:
            await release.wait()

    writer = asyncio.create_task(q.drain(send))
    try:
        assert q.put(DATA, '{"n":1}') and q.put(DATA, '{"n":2}')  # the first put after a quiet spell: now
        while not sent:
            await asyncio.sleep(0)
        assert q.put(HTML, "<late>")  # during the send: due on the next tick, a minute away
        release.set()
        for _ in range(20):
            await asyncio.sleep(0)
        assert sent == ['{"n":1}', '{"n":2}']
    finally:
        writer.cancel()


class Socket:
    """A socket that takes frames without waiting until told it is full (a `DirectWriter`)."""

    def __init__(self) -> None:
        self.written: list[str] = []
        self.full = False

    def ready(self) -> bool:
        return not self.full

    def write_now(self, text: str) -> None:
        self.written.append(text)


async def idle_writer(
    q: SendQueue, sent: list[str], release: asyncio.Event | None = None
) -> asyncio.Task[tuple[int, str]]:
    """The queue's writer task, started and waiting for a wake (its sends go to `sent`)."""

    async def send(text: str) -> None:
        sent.append(text)
        if release is not None:
            await release.wait()

    writer = asyncio.create_task(q.drain(send))
    await asyncio.sleep(0)
    return writer


async def test_an_idle_writers_frames_are_written_at_once_in_order_by_the_put_itself() -> None:
    q, socket = queue(), Socket()
    by_task: list[str] = []
    q.direct = socket
    writer = await idle_writer(q, by_task)
    for kind, text in [(HTML, "<a>"), (DATA, '{"x":1}'), (HTML, "<b>")]:
        assert q.put(kind, text)
    assert socket.written == ["<a>", '{"x":1}', "<b>"]  # before anything else ran
    assert by_task == [] and q.pending_chars == 0
    q.close(1000, "bye")
    assert await writer == (1000, "bye")


async def test_a_socket_that_would_have_to_wait_leaves_the_rest_to_the_writer_task_in_order() -> None:
    q, socket = queue(), Socket()
    by_task: list[str] = []
    q.direct = socket
    writer = await idle_writer(q, by_task)
    assert q.put(HTML, "<a>")
    socket.full = True  # over the transport's high-water mark: only the task may wait for it
    assert q.put(HTML, "<b>") and q.put(HTML, "<c>")
    q.close(1000, "bye")
    assert await writer == (1000, "bye")
    assert socket.written == ["<a>"] and by_task == ["<b>" + PART + "<c>"]


async def test_a_client_that_stops_reading_is_cut_off_on_the_direct_path_too() -> None:
    cut: list[bool] = []
    q, socket = SendQueue(3, 1000, 60.0, on_overflow=lambda: cut.append(True)), Socket()
    by_task: list[str] = []
    q.direct = socket
    socket.full = True
    writer = await idle_writer(q, by_task, release=asyncio.Event())  # its send never returns
    assert q.put(HTML, "first")
    while not by_task:
        await asyncio.sleep(0)
    assert all(q.put(HTML, "x") for _ in range(3))
    assert not q.put(HTML, "x") and cut == [True]
    socket.full = False
    assert not q.put(HTML, "later") and socket.written == []  # nothing more for a client cut off
    writer.cancel()


def test_a_put_of_html_allocates_nothing_per_fragment() -> None:
    # The fan-out puts one rendered string into every connection's queue: a thousand puts per
    # event. Queuing the string itself (no wrapper object per put) keeps that loop cheap and
    # leaves the garbage collector nothing to track.
    q = queue(max_frames=10_000, max_chars=10_000_000)
    fragment = "<li>row</li>"
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(640):
            q.put(HTML, fragment)
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert growth < 16 * 1024  # the deque's own blocks; a tuple per put would be 40 KB
