"""Saved direct messages in SQLite or PostgreSQL: SQLAlchemy 2 Core on asyncio, one schema.

`SqlHistory` is the chat's `MessageHistory` (app/chat/ports.py). The room hands it each DM
between members with `record`, which only appends to a bounded buffer; one writer task stores
the buffer in batches (one transaction each). When the database fails, the writer keeps the
buffer, marks history unavailable (listeners are told, so the two people are), and retries
with backoff; a full buffer drops new messages, counted and logged. Live chat never waits for
any of it. Reads and erasures run on the caller's task with a time limit and raise
`HistoryUnavailable` when the database does not answer; a read first writes what is buffered,
so this process's own recent DMs are always in what it reads.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, and_, delete, func, insert, literal, or_, select, union_all
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.chat.ports import AvailabilityListener
from app.chat.stored import (
    MESSAGES_PER_PAGE,
    PARTNERS_PER_PAGE,
    HistoryPage,
    HistoryUnavailable,
    PartnerPage,
    PartnerSort,
    StoredMessage,
)
from app.history.database import create_engine, database_url, where
from app.history.migrate import upgrade
from app.history.schema import direct_messages as dm
from app.settings import DirectMessageHistory

log = logging.getLogger("app.history")
T = TypeVar("T")

BUFFER_MESSAGES = 10_000  # waiting to be written; past this, new ones are dropped (and counted)
BATCH_MESSAGES = 500  # per transaction
LINGER_SECONDS = 0.25  # after the first message of a quiet spell, wait this long to batch more (bench dm)
READ_SECONDS = 3.0  # a read or an erasure that takes longer counts as the database being away
WRITE_SECONDS = 5.0
START_SECONDS = 15.0  # the first migration, before serving; after that it is retried in the background
CLOSE_SECONDS = 3.0  # what is still buffered at shutdown gets this long
RETRY_FIRST_SECONDS = 0.25
RETRY_MAX_SECONDS = 10.0
PURGE_EVERY_SECONDS = 24 * 3600.0
DAY_MS = 86_400_000
DATABASE_ERRORS = (SQLAlchemyError, OSError, TimeoutError)


class SqlHistory:
    """Direct messages between members, in the database `DatabaseURL` names."""

    def __init__(self, settings: DirectMessageHistory, settings_path: str = "") -> None:
        self.url = database_url(settings.database_url, settings_path)
        self.where = where(self.url)
        self.engine = create_engine(self.url)
        self.retention_days = settings.retention_days
        self._pending: deque[StoredMessage] = deque()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one write or erasure at a time, so an erasure sees every batch
        self._listeners: list[AvailabilityListener] = []
        self._migrated = False
        self._available = False
        self._dropped = 0

    # --- the port: writing ------------------------------------------------------------

    @property
    def available(self) -> bool:
        return self._available

    def watch(self, listener: AvailabilityListener) -> None:
        self._listeners.append(listener)

    def record(self, message: StoredMessage) -> None:
        if len(self._pending) >= BUFFER_MESSAGES:
            if not self._dropped:
                log.warning("history: %d DMs are waiting for the database; new ones are not saved", BUFFER_MESSAGES)
            self._dropped += 1
            return
        self._pending.append(message)
        self._wake.set()

    @property
    def waiting(self) -> int:
        """Messages recorded but not yet written."""
        return len(self._pending)

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Before serving: bring the schema up to date (if the database answers in time)."""
        try:
            async with asyncio.timeout(START_SECONDS):
                await upgrade(self.engine)
        except DATABASE_ERRORS as error:
            log.error(
                "history: cannot use %s (%s); DMs are delivered but not saved until it answers", self.where, error
            )
            return
        self._migrated = self._available = True
        log.info("history: saving DMs between members in %s", self.where)

    async def run(self) -> None:
        """The background work, until cancelled: migrate if that failed at start, then the
        writer and the daily purge."""
        delay = RETRY_FIRST_SECONDS
        while not self._migrated:
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)
            await self.start()
            if self._migrated:
                await self._tell(True, ())
        async with asyncio.TaskGroup() as group:
            group.create_task(self._write_forever())
            group.create_task(self._purge_forever())

    async def close(self) -> None:
        """After serving: write what is still buffered (briefly), then let the database go."""
        if self._pending and self._migrated:
            try:
                async with asyncio.timeout(CLOSE_SECONDS):
                    await self._flush()
            except DATABASE_ERRORS as error:
                log.warning("history: %d DMs not saved at shutdown: %s", len(self._pending), error)
        await self.engine.dispose()

    # --- the writer -------------------------------------------------------------------

    async def _write_forever(self) -> None:
        delay = RETRY_FIRST_SECONDS
        while True:
            if self._available and not self._pending:
                self._wake.clear()
                await self._wake.wait()
                await asyncio.sleep(LINGER_SECONDS)
            try:
                await self._flush()
            except Exception as error:  # the writer must outlive anything the database does
                if not isinstance(error, DATABASE_ERRORS):
                    log.exception("history: unexpected error writing DMs")
                await self._lost(error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
            else:
                delay = RETRY_FIRST_SECONDS
                if not self._available:
                    await self._regained()
                self._report_drops()

    async def _flush(self) -> None:
        """Write everything buffered, a batch per transaction; with nothing buffered, check that
        the database answers."""
        if not self._pending:
            async with asyncio.timeout(READ_SECONDS), self.engine.connect() as connection:
                await connection.execute(select(literal(1)))
            return
        while self._pending:
            async with self._lock:
                if not self._pending:
                    break  # another flush (the writer, or a read) wrote them while this one waited
                batch = list(itertools.islice(self._pending, BATCH_MESSAGES))
                async with asyncio.timeout(WRITE_SECONDS), self.engine.begin() as connection:
                    await connection.execute(insert(dm), [_row_values(message) for message in batch])
                for _ in batch:
                    self._pending.popleft()

    async def _lost(self, error: BaseException) -> None:
        if not self._available:
            return
        self._available = False
        log.warning(
            "history: lost %s (%s); DMs are still delivered, and saved when it is back (%d waiting, at most %d)",
            self.where,
            str(error).splitlines()[0] if str(error) else type(error).__name__,
            len(self._pending),
            BUFFER_MESSAGES,
        )
        await self._tell(False, tuple(self._pending))

    async def _regained(self) -> None:
        self._available = True
        log.info("history: %s answers again; waiting DMs are saved", self.where)
        await self._tell(True, ())

    def _report_drops(self) -> None:
        if self._dropped:
            log.warning("history: %d DMs were not saved: the buffer of %d was full", self._dropped, BUFFER_MESSAGES)
            self._dropped = 0

    async def _tell(self, available: bool, messages: tuple[StoredMessage, ...]) -> None:
        for listener in self._listeners:
            try:
                await listener(available, messages)
            except Exception:
                log.exception("history: a listener failed")

    # --- retention --------------------------------------------------------------------

    async def _purge_forever(self) -> None:
        while True:
            if self.retention_days:
                try:
                    erased = await self.purge()
                except HistoryUnavailable as error:
                    log.warning("history: could not erase old DMs now (%s); trying again tomorrow", error)
                else:
                    log.info("history: erased %d DMs older than %d days", erased, self.retention_days)
            await asyncio.sleep(PURGE_EVERY_SECONDS)

    async def purge(self, now: float | None = None) -> int:
        """Erase messages older than `RetentionDays` (none when it is 0); how many went."""
        if not self.retention_days:
            return 0
        cutoff = int((time.time() if now is None else now) * 1000) - self.retention_days * DAY_MS
        return await self._erase(dm.c.sent_at < cutoff, lambda message: message.sent_at < cutoff)

    # --- the port: reading and erasing ------------------------------------------------

    async def page(
        self, owner: str, other: str, *, before: int = 0, exclude: frozenset[str] = frozenset()
    ) -> HistoryPage:
        """In the order they were sent (messages written late, after an outage, fall in place);
        `before` is a row id, and the page is what was sent before that message."""
        conversation = _conversation(owner, other)

        async def read(connection: AsyncConnection) -> HistoryPage:
            query = select(dm).where(conversation)
            if before:
                query = query.where(_sent_before(before))
            if exclude:
                query = query.where(dm.c.message_id.not_in(exclude))
            newest_first = query.order_by(dm.c.sent_at.desc(), dm.c.id.desc()).limit(MESSAGES_PER_PAGE)
            rows = (await connection.execute(newest_first)).all()
            if not rows:
                return HistoryPage((), 0)
            older = select(func.count()).select_from(dm).where(conversation, _sent_before(rows[-1].id))
            remaining = (await connection.execute(older)).scalar_one()
            return HistoryPage(tuple(_message(row) for row in reversed(rows)), int(remaining))

        return await self._read(read)

    async def partners(self, owner: str, sort: PartnerSort = "newest", page: int = 1) -> PartnerPage:
        both = union_all(
            select(dm.c.member_high.label("partner"), dm.c.sent_at).where(dm.c.member_low == owner),
            select(dm.c.member_low.label("partner"), dm.c.sent_at).where(dm.c.member_high == owner),
        ).subquery()
        threads = select(both.c.partner, func.max(both.c.sent_at).label("last")).group_by(both.c.partner).subquery()
        order: dict[PartnerSort, Sequence[ColumnElement[Any]]] = {
            "newest": (threads.c.last.desc(), threads.c.partner.asc()),
            "oldest": (threads.c.last.asc(), threads.c.partner.asc()),
            "a-z": (func.lower(threads.c.partner).asc(), threads.c.partner.asc()),
            "z-a": (func.lower(threads.c.partner).desc(), threads.c.partner.desc()),
        }
        page = max(1, page)

        async def read(connection: AsyncConnection) -> PartnerPage:
            count = int((await connection.execute(select(func.count()).select_from(threads))).scalar_one())
            query = (
                select(threads.c.partner)
                .order_by(*order[sort])
                .limit(PARTNERS_PER_PAGE)
                .offset((page - 1) * PARTNERS_PER_PAGE)
            )
            names = tuple((await connection.execute(query)).scalars())
            return PartnerPage(names, count, max(1, math.ceil(count / PARTNERS_PER_PAGE)))

        return await self._read(read)

    async def clear(self, username: str) -> int:
        member = or_(dm.c.member_low == username, dm.c.member_high == username)
        return await self._erase(member, lambda message: message.involves(username))

    async def take_back(self, message_id: str) -> int:
        return await self._erase(dm.c.message_id == message_id, lambda message: message.message_id == message_id)

    async def _erase(self, stored: ColumnElement[bool], waiting: Callable[[StoredMessage], bool]) -> int:
        """Delete the rows matching `stored`, and the buffered messages matching `waiting`."""
        self._ready()
        async with self._lock:
            try:
                async with asyncio.timeout(READ_SECONDS), self.engine.begin() as connection:
                    erased = (await connection.execute(delete(dm).where(stored))).rowcount
            except DATABASE_ERRORS as error:
                raise HistoryUnavailable(str(error)) from error
            kept = [message for message in self._pending if not waiting(message)]
            unsaved = len(self._pending) - len(kept)
            self._pending = deque(kept)
        return int(erased) + unsaved

    async def _read(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run a read, after writing what this process has buffered: someone who reloads right
        after a DM finds it in the history, though the writer had not batched it yet."""
        self._ready()
        try:
            async with asyncio.timeout(READ_SECONDS):
                if self._pending and self._available:
                    await self._flush()
                async with self.engine.connect() as connection:
                    return await work(connection)
        except DATABASE_ERRORS as error:
            raise HistoryUnavailable(str(error)) from error

    def _ready(self) -> None:
        if not self._migrated:
            raise HistoryUnavailable(f"{self.where} has not answered since the server started")


def _conversation(owner: str, other: str) -> ColumnElement[bool]:
    low, high = sorted((owner, other))
    return and_(dm.c.member_low == low, dm.c.member_high == high)


def _sent_before(row: int) -> ColumnElement[bool]:
    """Sent before the message in row `row` (by time, then by row for the same millisecond)."""
    sent = select(dm.c.sent_at).where(dm.c.id == row).scalar_subquery()
    return or_(dm.c.sent_at < sent, and_(dm.c.sent_at == sent, dm.c.id < row))


def _row_values(message: StoredMessage) -> dict[str, object]:
    low, high = message.pair()
    return {
        "message_id": message.message_id,
        "member_low": low,
        "member_high": high,
        "sender": message.sender,
        "text": message.text,
        "sent_at": message.sent_at,
    }


def _message(row: Row[Any]) -> StoredMessage:
    recipient = row.member_high if row.sender == row.member_low else row.member_low
    return StoredMessage(
        message_id=row.message_id,
        sender=row.sender,
        recipient=recipient,
        text=row.text,
        sent_at=row.sent_at,
        row=row.id,
    )
