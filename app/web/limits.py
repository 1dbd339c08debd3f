"""Per-address limits: what one address may take of the chat, and what the process can hold.

- Sign-ins (`Limits.SignInsPerMinute`): counted per address in fixed one-minute windows by the
  registry, so with Redis they hold across processes (without it, or while Redis is away, each
  process counts its own). One over gets HTTP 429 with a page that says when to try again.
- Names (`Limits.NamesPerAddress`): people in the room from one address, on every process (the
  room counts them from its roster mirror, where each member carries the address they came from;
  addresses never reach a browser).
- Sockets (`Limits.SocketsPerAddress`, `Limits.MaxSockets`): open WebSockets per address and in
  all, per process: they are this process's descriptors and memory. With N processes behind a
  proxy an address may hold up to N times `SocketsPerAddress`, which is why names are the limit
  that holds across processes. `MaxSockets = 0` takes the process's descriptor limit less a
  reserve for pages, Redis and files, so the chat refuses a socket in words before the kernel
  refuses a connection.

- Admin API failures (`Limits.APIFailuresPerMinute`): calls with a wrong or missing `APIKey`,
  per address and per process, in fixed one-minute windows (`FailureCounts`); past the limit
  every call from the address is refused until the window ends. The key is long and random,
  so this is not what keeps it safe; it keeps a guesser from hammering the API.

Behind a proxy, the address is the proxy's view of the client (`client_ip`, `UseXForwardedFor`);
without that setting every user would be the proxy's one address, so a first refusal from a
loopback address logs a hint.
"""

from __future__ import annotations

import logging
import math
import resource
import time
from collections import Counter, OrderedDict

from app.settings import Limits

log = logging.getLogger("app.limits")
FAILURE_ADDRESSES = 10_000  # addresses one minute's failure counts keep (the oldest go first)
DESCRIPTOR_RESERVE = 64  # descriptors kept for pages, sign-ins, Redis and files, at least
LOOPBACK = ("127.", "::1", "localhost")


def socket_capacity(limits: Limits) -> int:
    """How many sockets this process accepts in all."""
    if limits.max_sockets:
        return limits.max_sockets
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1_000_000
    return max(1, soft - max(DESCRIPTOR_RESERVE, soft // 10))


def retry_after(now: float | None = None) -> int:
    """Seconds until the next one-minute window of sign-ins begins."""
    now = time.time() if now is None else now
    return max(1, math.ceil(60 - now % 60))


def seconds_words(seconds: int) -> str:
    return "1 second" if seconds == 1 else f"{seconds} seconds"


class SocketCounts:
    """Open sockets of this process, by address; `admit` says whether one more may open."""

    def __init__(self, limits: Limits) -> None:
        self.open: Counter[str] = Counter()
        self.total = 0
        self._hinted = False
        self.reconfigure(limits)

    def reconfigure(self, limits: Limits) -> None:
        """New limits (a live reload): sockets already open stay open."""
        self.per_address = limits.sockets_per_address
        self.capacity = socket_capacity(limits)

    def admit(self, address: str) -> str | None:
        """Count a new socket from `address`, or return the refusal for its user."""
        if self.total >= self.capacity:
            log.warning("refused a socket from %s: the process holds %d sockets (its limit)", address, self.total)
            return "The chat is full right now. Please try again in a few minutes."
        if self.per_address and self.open[address] >= self.per_address:
            self._hint(address)
            log.warning("refused a socket from %s: %d open from that address", address, self.open[address])
            return (
                f"Too many chat windows are open from your network ({self.open[address]}). "
                "Close some, then reload this page."
            )
        self.open[address] += 1
        self.total += 1
        return None

    def release(self, address: str) -> None:
        self.total -= 1
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]

    def _hint(self, address: str) -> None:
        if not self._hinted and address.startswith(LOOPBACK):
            self._hinted = True
            log.warning(
                "many sockets from the loopback address %s: if the chat is behind a proxy, set "
                "UseXForwardedFor = true so each user counts as their own address",
                address,
            )


class FailureCounts:
    """Failures per address in the current one-minute window, for at most FAILURE_ADDRESSES."""

    def __init__(self) -> None:
        self._minute = -1
        self._counts: OrderedDict[str, int] = OrderedDict()

    def count(self, address: str, now: float | None = None) -> int:
        """How many failures `address` had this minute."""
        self._roll(now)
        return self._counts.get(address, 0)

    def add(self, address: str, now: float | None = None) -> None:
        self._roll(now)
        self._counts[address] = self._counts.get(address, 0) + 1
        self._counts.move_to_end(address)
        if len(self._counts) > FAILURE_ADDRESSES:
            self._counts.popitem(last=False)

    def _roll(self, now: float | None) -> None:
        minute = int((time.time() if now is None else now) // 60)
        if minute != self._minute:
            self._minute = minute
            self._counts.clear()
