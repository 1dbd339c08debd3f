"""A crowd of bench users: sign them in, bring them into the room, wait, and send them home."""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.client import BenchSocket, Target, open_socket, sign_in, source_address, statistics
from bench.tally import Tally, Totals

SIGN_IN_CONCURRENCY = 16


@dataclass(frozen=True)
class Options:
    """One scenario run, as the command line set it up."""

    target: Target
    n: int
    senders: int = 10
    rate: float = 0.0  # total messages a second; 0 = as fast as the senders can
    messages: int = 200
    size: int = 0  # extra characters per message
    batch: int = 50  # sockets opened at once
    timeout: float = 60.0  # per waiting phase
    quiet: bool = False
    blocks: int = 0  # storm: blocked pairs placed before the storm, spread through the crowd


def run_tag() -> str:
    return secrets.token_hex(3)


class Progress:
    """A progress line on stderr, redrawn while a phase runs."""

    def __init__(self, label: str, line: Callable[[], str], quiet: bool = False) -> None:
        self.label = label
        self.line = line
        self.quiet = quiet
        self._task: asyncio.Task[None] | None = None

    async def _draw(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            self._emit("\r")

    def _emit(self, prefix: str) -> None:
        sys.stderr.write(f"{prefix}[{self.label}] {self.line()}\033[K")
        sys.stderr.flush()

    async def __aenter__(self) -> Progress:
        if not self.quiet:
            self._task = asyncio.create_task(self._draw())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()
            self._emit("\r")
            sys.stderr.write("\n")


async def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


class Crowd:
    """N signed-in users and their sockets, all counting into one `Totals`."""

    def __init__(self, options: Options, prefix: str) -> None:
        self.options = options
        self.prefix = prefix
        self.totals = Totals()
        self.tallies: list[Tally] = []
        self.sockets: list[BenchSocket] = []
        self.cookies: list[str] = []
        self.first_connect_ns = 0
        self._paired = {index for pair in self.blocked_pairs() for index in pair}

    def name(self, index: int) -> str:
        return f"{self.prefix}{index:05d}"

    async def sign_in(self, count: int) -> None:
        gate = asyncio.Semaphore(SIGN_IN_CONCURRENCY)

        async def one(index: int) -> str:
            async with gate:
                return await sign_in(self.options.target, self.name(index), source_address(self.options.target, index))

        self.cookies = list(await asyncio.gather(*(one(i) for i in range(count))))

    def blocked_pairs(self) -> list[tuple[int, int]]:
        """`options.blocks` pairs of users (by index) spread evenly through the crowd: in each,
        the first blocks the second, who is next in name order."""
        count = min(self.options.blocks, self.options.n // 2)
        step = self.options.n // count if count else 0
        return [(i * step, i * step + 1) for i in range(count)]

    async def place_blocks(self) -> None:
        """Before the timed part: each pair enters, the first blocks the second, both leave. The
        blocks stay with their sessions, so they hold again when the crowd enters."""
        pairs = self.blocked_pairs()
        if not pairs:
            return
        people = [index for pair in pairs for index in pair]
        target = self.options.target
        totals = Totals()
        tallies = [Tally(totals, len(people)) for _ in people]
        sockets = await asyncio.gather(
            *(
                open_socket(target, self.cookies[i], tally, source=source_address(target, i))
                for i, tally in zip(people, tallies, strict=True)
            )
        )
        try:
            await self._until(lambda: totals.who_complete >= len(people), "blocks: entering")
            by_index = dict(zip(people, sockets, strict=True))
            for blocker, blocked in pairs:
                by_index[blocker].send_json({"action": "block", "username": self.name(blocked)})
            await self._until(lambda: totals.notices >= len(pairs), "blocks: placing")
        finally:
            for sock in sockets:
                sock.leave()
        await wait_for_empty_room(self.options.target)

    async def _until(self, condition: Callable[[], bool], phase: str) -> None:
        if not await wait_until(condition, self.options.timeout):
            raise RuntimeError(f"{phase}: timed out")

    def who_target(self, index: int, everyone: int) -> int:
        """Rows a user's complete who list holds: everyone, less the one they are blocked with."""
        return everyone - 1 if index in self._paired else everyone

    async def connect(self, who_target: int) -> None:
        """Open every socket, `batch` at a time; each batch's handshakes finish before the next."""
        self.first_connect_ns = time.monotonic_ns()
        batch = self.options.batch
        for start in range(0, len(self.cookies), batch):
            cookies = self.cookies[start : start + batch]
            tallies = [Tally(self.totals, self.who_target(start + i, who_target)) for i in range(len(cookies))]
            self.tallies += tallies
            target = self.options.target
            self.sockets += await asyncio.gather(
                *(
                    open_socket(target, cookie, tally, source=source_address(target, start + offset))
                    for offset, (cookie, tally) in enumerate(zip(cookies, tallies, strict=True))
                )
            )

    async def prepare(self) -> None:
        """What comes before the timed part: everyone signs in, and the blocks are placed."""
        if not self.cookies:
            await self.sign_in(self.options.n)
            await self.place_blocks()

    async def enter(self, progress_label: str) -> dict[str, object]:
        """Sign in and connect everyone; wait until every who list holds everyone."""
        n = self.options.n
        await self.prepare()
        async with Progress(progress_label, lambda: self.entry_line(), self.options.quiet):
            await self.connect(who_target=n)
            complete = await wait_until(lambda: self.totals.who_complete >= n, self.options.timeout)
        done = [t.who_complete_ns for t in self.tallies if t.who_complete_ns is not None]
        last = max(done) if done else time.monotonic_ns()
        return {
            "who_complete": self.totals.who_complete,
            "blocked_rows_seen": sum(1 for i in self._paired if len(self.tallies[i].who) >= n),  # 0: blocks held
            "all_complete": complete,
            "complete_s": round((last - self.first_connect_ns) / 1e9, 3),
            "frames": self.totals.frames,
            "mb_received": round(self.totals.bytes / 1e6, 1),
            "mb_wire": round(self.totals.wire_bytes / 1e6, 1),
            "compressed_sockets": sum(1 for sock in self.sockets if sock.deflate is not None),
        }

    def entry_line(self) -> str:
        return (
            f"connected {len(self.sockets)}/{self.options.n}, who lists complete "
            f"{self.totals.who_complete}, frames {self.totals.frames}"
        )

    def leave(self) -> None:
        for sock in self.sockets:
            sock.leave()


async def wait_for_empty_room(target: Target, names: Sequence[str] = (), timeout: float = 30.0) -> None:
    """After a run, wait until the server has let everyone go (so the next run starts clean)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = await statistics(target)
        present = stats.get("Usernames", [])
        assert isinstance(present, list)
        if not (set(names) & set(present) if names else present):
            return
        await asyncio.sleep(0.1)
