"""The dm scenario: steady direct messages between pairs of members, for DM history's cost.

N members (signed in with tokens, as a host site's users arrive, so their DMs can be saved)
make N/2 pairs; the first of each pair sends to the second, round-robin over the pairs, at
`--rate` messages a second in all. Every DM is delivered twice (the sender's own thread and
the recipient's), and both count. Run it against `bench serve --history` and without, and
compare the latency (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import time

import jwt

from bench.client import BenchSocket, Target, http_request, open_socket, source_address
from bench.crowd import SIGN_IN_CONCURRENCY, Options, Progress, run_tag, wait_for_empty_room, wait_until
from bench.metrics import Meter
from bench.scenarios import PhaseCPU, Result, _rss_connected, latency_summary
from bench.tally import Tally, Totals, message_text

BENCH_JWT_SECRET = "bench-jwt-secret-" + "b" * 32  # `bench serve` accepts tokens signed with it


async def sign_in_member(target: Target, username: str, source: str = "") -> str:
    """GET /?jwt=TOKEN as a member of the site (from the address `source`); returns the session
    cookie's value."""
    now = int(time.time())
    signed = jwt.encode({"sub": username, "iat": now, "exp": now + 300}, BENCH_JWT_SECRET, algorithm="HS256")
    status, headers, content = await http_request(target, "GET", f"/?jwt={signed}", source=source)
    cookie = headers.get("set-cookie", "").split("barertc_session=", 1)
    if status != 303 or len(cookie) < 2:
        raise RuntimeError(f"member sign-in as {username!r}: HTTP {status} {content[:200]!r}")
    return cookie[1].split(";", 1)[0]


async def dm(options: Options, meter: Meter) -> Result:
    prefix = f"d{run_tag()}-"
    names = [f"{prefix}{index:05d}" for index in range(options.n - options.n % 2)]
    totals = Totals()
    gate = asyncio.Semaphore(SIGN_IN_CONCURRENCY)

    target = options.target

    async def sign_in(index: int, name: str) -> str:
        async with gate:
            return await sign_in_member(target, name, source_address(target, index))

    cookies = await asyncio.gather(*(sign_in(index, name) for index, name in enumerate(names)))
    sockets: list[BenchSocket] = []
    try:
        for start in range(0, len(cookies), options.batch):
            batch = cookies[start : start + options.batch]
            sockets += await asyncio.gather(
                *(
                    open_socket(target, cookie, Tally(totals), source=source_address(target, start + offset))
                    for offset, cookie in enumerate(batch)
                )
            )
        await wait_until(lambda: False, 1.0)  # let the entries settle
        run = run_tag()
        totals.new_run(run)
        expected = 2 * options.messages
        async with Progress("dm", lambda: f"delivered {totals.delivered}/{expected}", options.quiet):
            phase = PhaseCPU(meter)
            await _send(sockets, names, run, options)
            await wait_until(lambda: totals.delivered >= expected, options.timeout)
            elapsed = time.monotonic() - phase.started
        return {
            "delivered": totals.delivered,
            "expected": expected,
            "senders": len(sockets) // 2,
            "elapsed_s": round(elapsed, 2),
            **phase.stop(),
            **latency_summary(totals.latencies_ns),
            **_rss_connected(meter),
        }
    finally:
        for sock in sockets:
            sock.leave()
        await wait_for_empty_room(options.target)


async def _send(sockets: list[BenchSocket], names: list[str], run: str, options: Options) -> None:
    pairs = len(sockets) // 2
    started = time.monotonic()
    for seq in range(options.messages):
        if options.rate:
            delay = started + seq / options.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        pair = seq % pairs
        sender, recipient = sockets[2 * pair], names[2 * pair + 1]
        sender.say(message_text(run, pair, seq, time.monotonic_ns(), options.size), channel=f"@{recipient}")
