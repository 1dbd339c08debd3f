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

Behind a proxy, the address is the proxy's view of the client (`client_ip`, `UseXForwardedFor`);
without that setting every user would be the proxy's one address, so a first refusal from a
loopback address logs a hint.
"""

from __future__ import annotations

import logging
import math
import resource
import time
from collections import Counter

from app.settings import Limits

log = logging.getLogger("app.limits")
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
        self.per_address = limits.sockets_per_address
        self.capacity = socket_capacity(limits)
        self.open: Counter[str] = Counter()
        self.total = 0
        self._hinted = False

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
