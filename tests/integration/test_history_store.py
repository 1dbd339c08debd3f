"""The saved-DM store against real databases: the same tests on SQLite and on PostgreSQL (issue 20)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.chat.stored import HistoryUnavailable, StoredMessage
from app.history.migrate import current_revision, head
from app.history.schema import VERSION_TABLE, metadata
from app.history.store import SqlHistory
from app.settings import DirectMessageHistory
from tests.support import free_port

DAY_MS = 86_400_000


@asynccontextmanager
async def running_store(url: str, retention_days: int = 90) -> AsyncIterator[SqlHistory]:
    store = SqlHistory(DirectMessageHistory(enabled=True, database_url=url, retention_days=retention_days))
    await store.start()
    work = asyncio.create_task(store.run())
    try:
        yield store
    finally:
        work.cancel()
        await asyncio.gather(work, return_exceptions=True)
        await store.close()


async def written(store: SqlHistory) -> None:
    deadline = time.monotonic() + 10
    while store.waiting:
        assert time.monotonic() < deadline, "the writer did not write"
        await asyncio.sleep(0.02)


def dm(n: int, sender: str, recipient: str, *, sent_at: int = 0) -> StoredMessage:
    return StoredMessage(
        message_id=f"m-test-{n}",
        sender=sender,
        recipient=recipient,
        text=f"message {n}",
        sent_at=sent_at or int(time.time() * 1000),
    )


async def test_several_processes_starting_at_once_migrate_once_to_exactly_the_schema(database: str) -> None:
    stores = [SqlHistory(DirectMessageHistory(enabled=True, database_url=database)) for _ in range(4)]
    try:
        await asyncio.gather(*(store.start() for store in stores))
        assert all(store.available for store in stores)
        assert await current_revision(stores[0].engine) == head()
        async with stores[0].engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"version_table": VERSION_TABLE}), metadata
                )
            )
        assert differences == []
    finally:
        for store in stores:
            await store.close()


async def test_a_conversation_is_stored_in_batches_and_paged_back_in_the_order_it_was_sent(database: str) -> None:
    async with running_store(database) as store:
        store.record(dm(99, "bob", "alice", sent_at=int(time.time() * 1000) + 60_000))  # written first, sent last
        for n in range(45):
            store.record(dm(n, *(("alice", "bob") if n % 2 else ("bob", "alice"))))
        store.record(dm(100, "alice", "carol"))
        await written(store)

        newest = await store.page("alice", "bob")
        assert [m.text for m in newest.messages] == [f"message {n}" for n in range(26, 45)] + ["message 99"]
        assert newest.remaining == 26
        assert newest.messages[-1].sender == "bob" and newest.messages[-1].recipient == "alice"
        older = await store.page("bob", "alice", before=newest.messages[0].row)  # either side reads it
        assert [m.text for m in older.messages] == [f"message {n}" for n in range(6, 26)]
        oldest = await store.page("alice", "bob", before=older.messages[0].row)
        assert [m.text for m in oldest.messages] == [f"message {n}" for n in range(6)] and oldest.remaining == 0
        assert [m.text for m in (await store.page("carol", "alice")).messages] == ["message 100"]
        assert (await store.page("bob", "carol")).messages == ()

        without = await store.page("alice", "bob", exclude=frozenset({"m-test-99", "m-test-44"}))
        assert without.messages[-1].text == "message 43"


async def test_a_read_right_after_a_dm_finds_it_though_the_writer_had_not_batched_it(database: str) -> None:
    async with running_store(database) as store:
        store.record(dm(1, "alice", "bob"))
        assert store.waiting == 1  # recorded, not written: the writer lingers to batch more
        page = await store.page("bob", "alice")
        assert [message.text for message in page.messages] == ["message 1"]
        assert (await store.partners("alice")).usernames == ("bob",)


async def test_reads_at_once_each_write_the_buffer_once_and_all_answer(database: str) -> None:
    """Both people of a conversation open it at the same moment: each read writes what is
    buffered first, and the one that waited finds nothing left to write."""
    async with running_store(database) as store:
        for n in range(5):
            store.record(dm(n, "alice", "bob"))
        pages = await asyncio.gather(store.page("alice", "bob"), store.page("bob", "alice"), store.page("alice", "bob"))
        assert [[m.text for m in page.messages] for page in pages] == [[f"message {n}" for n in range(5)]] * 3
        assert store.available


async def test_partners_are_listed_newest_oldest_and_by_name_nine_a_page(database: str) -> None:
    names = [f"{'Zed' if n == 3 else 'user'}{n:02d}" for n in range(11)]
    base = int(time.time() * 1000)
    async with running_store(database) as store:
        for n, name in enumerate(names):
            store.record(dm(n, "alice", name, sent_at=base + n) if n % 2 else dm(n, name, "alice", sent_at=base + n))
        store.record(dm(50, "bob", "carol"))  # not alice's
        await written(store)

        first = await store.partners("alice")
        assert first.usernames == tuple(reversed(names))[:9] and first.count == 11 and first.pages == 2
        assert (await store.partners("alice", "newest", 2)).usernames == tuple(reversed(names))[9:]
        assert (await store.partners("alice", "oldest")).usernames == tuple(names[:9])
        by_name = sorted(names, key=str.lower)
        assert (await store.partners("alice", "a-z")).usernames == tuple(by_name[:9])
        assert (await store.partners("alice", "z-a", 1)).usernames[0] == "Zed03"
        nobody = await store.partners("dave")
        assert nobody.usernames == () and nobody.count == 0 and nobody.pages == 1


async def test_clear_take_back_and_retention_erase_what_they_should(database: str) -> None:
    old = int(time.time() * 1000) - 85 * DAY_MS  # kept at start-up; 95 days old ten days from now
    async with running_store(database, retention_days=90) as store:
        store.record(dm(1, "alice", "bob"))
        store.record(dm(2, "bob", "alice"))
        store.record(dm(3, "carol", "alice"))
        store.record(dm(4, "carol", "bob"))
        store.record(dm(5, "dave", "erin", sent_at=old))
        store.record(dm(6, "dave", "erin"))
        await written(store)

        assert await store.take_back("m-test-2") == 1
        assert [m.message_id for m in (await store.page("alice", "bob")).messages] == ["m-test-1"]
        assert await store.take_back("m-test-2") == 0

        assert await store.purge() == 0
        assert await store.purge(now=time.time() + 10 * 86400) == 1
        assert [m.text for m in (await store.page("erin", "dave")).messages] == ["message 6"]

        assert await store.clear("alice") == 2  # what she sent and what she received
        assert (await store.partners("alice")).count == 0
        assert [m.text for m in (await store.page("bob", "carol")).messages] == ["message 4"]
        store.record(dm(7, "carol", "bob"))  # erased before the writer got to it
        assert await store.clear("carol") == 2
        await written(store)
        assert (await store.page("bob", "carol")).messages == ()


async def test_retention_zero_keeps_everything(database: str) -> None:
    async with running_store(database, retention_days=0) as store:
        store.record(dm(1, "alice", "bob", sent_at=1_000))
        await written(store)
        assert await store.purge() == 0
        assert len((await store.page("alice", "bob")).messages) == 1


async def test_without_its_database_the_store_never_blocks_and_says_history_is_unavailable() -> None:
    url = f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing"
    async with running_store(url) as store:
        assert not store.available
        started = time.monotonic()
        for n in range(1000):
            store.record(dm(n, "alice", "bob"))
        assert time.monotonic() - started < 0.5 and store.waiting == 1000
        try:
            await store.page("alice", "bob")
        except HistoryUnavailable:
            pass
        else:
            raise AssertionError("a read without a database should be refused")
