"""The send queue on its own: joining fragments, and the two bounds that cut a client off."""

from __future__ import annotations

import asyncio

import pytest

from app.web.send_queue import DATA, HTML, QueueFull, SendQueue


async def test_fragments_that_piled_up_go_out_as_one_frame_and_data_frames_alone() -> None:
    queue = SendQueue(max_frames=10, max_chars=1000)
    for kind, text in [(HTML, "<a>"), (HTML, "<b>"), (DATA, '{"x":1}'), (HTML, "<c>")]:
        assert queue.put(kind, text)
    queue.close(1000, "bye")
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    assert await queue.drain(send) == (1000, "bye")
    assert sent == ["<a><b>", '{"x":1}', "<c>"]
    assert queue.pending_chars == 0


def test_too_many_frames_cut_the_client_off() -> None:
    cut: list[bool] = []
    queue = SendQueue(max_frames=3, max_chars=1000, on_overflow=lambda: cut.append(True))
    assert all(queue.put(HTML, "x") for _ in range(3))
    assert not queue.put(HTML, "x")
    assert queue.overflowed and cut == [True]
    assert not queue.put(HTML, "x")  # once cut off, nothing more is taken
    assert cut == [True]


def test_too_much_text_cuts_the_client_off_even_in_few_frames() -> None:
    queue = SendQueue(max_frames=100, max_chars=1000)
    assert queue.put(HTML, "a" * 600)
    assert queue.put(HTML, "b" * 400)
    assert not queue.put(HTML, "c")
    assert queue.overflowed


def test_one_item_larger_than_the_bound_is_sent_when_nothing_else_is_held() -> None:
    queue = SendQueue(max_frames=100, max_chars=1000)
    assert queue.put(HTML, "w" * 5000)  # say, the whole who list of a big room
    assert not queue.overflowed


async def test_text_in_a_send_that_has_not_returned_still_counts() -> None:
    """A writer blocked on a stalled socket has taken the queue's text; it is still held."""
    queue = SendQueue(max_frames=100, max_chars=1000)
    stalled = asyncio.Event()
    taken: list[str] = []

    async def send(text: str) -> None:
        taken.append(text)
        await stalled.wait()  # the kernel buffer is full: this send does not return

    writer = asyncio.create_task(queue.drain(send))
    assert queue.put(HTML, "a" * 600)
    while not taken:
        await asyncio.sleep(0)
    assert queue.pending_chars == 600  # out of the queue, into the blocked send
    assert queue.put(HTML, "b" * 300)
    assert not queue.put(HTML, "c" * 200)
    assert queue.overflowed
    stalled.set()
    with pytest.raises(QueueFull):
        await asyncio.wait_for(writer, 5)
