"""The scenarios: storm, steady, burst and slow. Each returns one row of results.

Every scenario signs its own users in (not timed), brings them into the room, does its
thing, and sends them home. Latency is from the moment a frame is written by the sender to
the moment its bytes are handed to the recipient's socket, across all recipients.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections.abc import Awaitable, Callable

from bench.client import BenchSocket, open_socket, sign_in, statistics
from bench.crowd import Crowd, Options, Progress, run_tag, wait_for_empty_room, wait_until
from bench.metrics import Meter
from bench.tally import Tally, Totals, message_text

Result = dict[str, object]
Scenario = Callable[[Options, Meter], Awaitable[Result]]

DEFAULT_MESSAGE_BURST = 20  # the server's default Limits.MessageBurst
SLOW_RECEIVE_BUFFER = 4096


def percentile(sorted_values: list[int], fraction: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not sorted_values:
        return math.nan
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return round(sorted_values[index] / 1e6, 1)


def latency_summary(latencies_ns: list[int]) -> Result:
    values = sorted(latencies_ns)
    return {
        "p50_ms": percentile(values, 0.50),
        "p95_ms": percentile(values, 0.95),
        "p99_ms": percentile(values, 0.99),
        "max_ms": percentile(values, 1.0),
    }


def senders_for(options: Options) -> int:
    """Enough senders that nobody goes over the server's default message burst."""
    return max(options.senders, math.ceil(options.messages / DEFAULT_MESSAGE_BURST))


async def send_messages(senders: list[BenchSocket], run: str, options: Options) -> None:
    """`options.messages` messages round-robin over `senders`, at `options.rate` a second
    (0: all at once, as fast as the senders can write them)."""
    started = time.monotonic()
    for seq in range(options.messages):
        if options.rate:
            delay = started + seq / options.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        sender = seq % len(senders)
        senders[sender].say(message_text(run, sender, seq, time.monotonic_ns(), options.size))
        if not options.rate and seq % 50 == 49:
            await asyncio.sleep(0)  # let the writes reach the kernel


async def storm(options: Options, meter: Meter) -> Result:
    crowd = Crowd(options, f"s{run_tag()}-")
    try:
        await crowd.prepare()
        phase = PhaseCPU(meter)  # the storm alone: not the sign-ins, nor placing the blocks
        result = await crowd.enter("storm")
        result.update(phase.stop())
        result.update(_rss_connected(meter))
        result.update(delivered=crowd.totals.who_complete, expected=options.n, blocks=len(crowd.blocked_pairs()))
        return result
    finally:
        crowd.leave()
        await wait_for_empty_room(options.target)


async def _flow(options: Options, meter: Meter, label: str) -> Result:
    """Everyone enters; the first S users send; every user must get every message."""
    crowd = Crowd(options, f"{label[0]}{run_tag()}-")
    try:
        entry = await crowd.enter(f"{label}: entering")
        result: Result = {
            "entry_s": entry["complete_s"],
            "compressed_sockets": entry["compressed_sockets"],
            **_rss_connected(meter),
        }
        senders = crowd.sockets[: senders_for(options)]
        run = run_tag()
        crowd.totals.new_run(run)
        expected = options.messages * len(crowd.sockets)
        async with Progress(label, lambda: f"delivered {crowd.totals.delivered}/{expected}", options.quiet):
            phase = PhaseCPU(meter)
            await send_messages(senders, run, options)
            await wait_until(lambda: crowd.totals.delivered >= expected, options.timeout)
            elapsed = time.monotonic() - phase.started
        result.update(phase.stop())
        totals = crowd.totals
        result.update(
            mb_wire=round(totals.wire_bytes / 1e6, 1),
            delivered=totals.delivered,
            expected=expected,
            senders=len(senders),
            refused_notices=totals.notices,
            elapsed_s=round(elapsed, 2),
            deliveries_per_s=round(totals.delivered / elapsed) if elapsed else 0,
            **latency_summary(totals.latencies_ns),
        )
        return result
    finally:
        crowd.leave()
        await wait_for_empty_room(options.target)


async def steady(options: Options, meter: Meter) -> Result:
    return await _flow(options, meter, "steady")


async def burst(options: Options, meter: Meter) -> Result:
    return await _flow(Options(**{**options.__dict__, "rate": 0.0}), meter, "burst")


class PhaseCPU:
    """CPU seconds of the server and of the bench itself over one phase of a run."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.started = time.monotonic()
        self._bench = time.process_time()
        now = meter.now()
        self._server = now.cpu_s if now is not None else None

    def stop(self) -> Result:
        result: Result = {"phase_bench_cpu_s": round(time.process_time() - self._bench, 2)}
        now = self.meter.now()
        if now is not None and self._server is not None:
            result["phase_server_cpu_s"] = round(now.cpu_s - self._server, 2)
        return result


def _rss_connected(meter: Meter) -> Result:
    now = meter.now()
    return {"rss_connected_mb": round(now.rss_mb, 1)} if now is not None else {}


async def _newcomer(options: Options, name: str) -> float:
    """Seconds for a newcomer to sign in and get their who list while the room is busy
    (bench/newcomer.py, in a process of its own)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.newcomer",
        options.target.origin,
        name,
        str(options.timeout),
        "deflate" if options.target.deflate else "none",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the newcomer could not enter (exit status {child.returncode})")
    return float(out)


async def _gone(options: Options, name: str) -> bool:
    async def absent() -> bool:
        present = (await statistics(options.target)).get("Usernames", [])
        return isinstance(present, list) and name not in present

    deadline = time.monotonic() + options.timeout
    while time.monotonic() < deadline:
        if await absent():
            return True
        await asyncio.sleep(0.1)
    return False


async def slow(options: Options, meter: Meter) -> Result:
    """One extra user stops reading while large messages flow to everyone."""
    crowd = Crowd(options, f"w{run_tag()}-")
    slow_name = f"{crowd.prefix}stalled"
    slow_tally = Tally(Totals(), who_target=1)
    stalled: BenchSocket | None = None
    try:
        await crowd.enter("slow: entering")
        stalled = await open_socket(
            options.target, await sign_in(options.target, slow_name), slow_tally, receive_buffer=SLOW_RECEIVE_BUFFER
        )
        await wait_until(lambda: slow_tally.who_complete_ns is not None, options.timeout)
        stalled.pause()
        senders = crowd.sockets[: senders_for(options)]
        run = run_tag()
        crowd.totals.new_run(run)
        slow_tally.totals.new_run(run)
        expected = options.messages * len(crowd.sockets)
        async with Progress("slow", lambda: f"delivered {crowd.totals.delivered}/{expected}", options.quiet):
            phase = PhaseCPU(meter)
            sending = asyncio.create_task(send_messages(senders, run, options))
            await wait_until(lambda: crowd.totals.delivered >= expected // 4, options.timeout)
            entry_s = await _newcomer(options, f"{crowd.prefix}newcomer")
            await sending
            await wait_until(lambda: crowd.totals.delivered >= expected, options.timeout)
            cpu = phase.stop()
            disconnected = await _gone(options, slow_name)
        stalled.resume()
        with_code = await _close_code(stalled)
        totals = crowd.totals
        return {
            "delivered": totals.delivered,
            "expected": expected,
            "senders": len(senders),
            "newcomer_entry_s": round(entry_s, 3),
            "slow_disconnected": disconnected,
            "slow_close_code": with_code,
            "slow_received": slow_tally.received,
            **cpu,
            **latency_summary(totals.latencies_ns),
            **_rss_connected(meter),
        }
    finally:
        crowd.leave()
        if stalled is not None:
            stalled.leave()
        await wait_for_empty_room(options.target)


async def _close_code(sock: BenchSocket) -> int | None:
    """Read what the stalled socket had buffered, up to the server's close frame."""
    try:
        return await asyncio.wait_for(asyncio.shield(sock.closed), 10)
    except TimeoutError:
        return None


SCENARIOS: dict[str, Scenario] = {"storm": storm, "steady": steady, "burst": burst, "slow": slow}
