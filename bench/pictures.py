"""The pictures scenario: one 3 MB photograph shared with a room of N (issue 16).

N guests enter as the crowd does; the first uploads a JPEG of about 3 MB (`POST /pictures`
with its session cookie and `Origin`, as the page's `fetch` does) to Off Topic, the default
channel that permits pictures. The server decodes, cleans and shrinks it in its thread pool,
keeps two renditions and posts one message, which every socket gets. Then every recipient
fetches the preview over HTTP once, as its browser would (50 at a time, each on a connection of
its own from the crowd's own addresses).

Reported: the upload's HTTP time (decoding included), the socket bytes each recipient got for
the picture (as they came off the wire, and the fragment itself; and, to compare, what one short
text message costs them afterwards), upload-to-message latency over
every recipient (from the moment the upload starts), the time until the last recipient has the
preview, and the sizes of the two renditions.
"""

from __future__ import annotations

import asyncio
import io
import math
import random
import re
import time

from PIL import Image, ImageFilter

from bench.client import http_request, source_address
from bench.crowd import Crowd, Options, Progress, run_tag, wait_for_empty_room, wait_until
from bench.metrics import Meter
from bench.scenarios import PhaseCPU, Result, _rss_connected, latency_summary
from bench.tally import message_text

TARGET_BYTES = 3 * 1024 * 1024
CHANNEL = "offtopic"
FETCH_CONCURRENCY = 50
PREVIEW_URL = re.compile(rb'src="(/pictures/[A-Za-z0-9_-]{32}/preview)"')


def photograph(target: int = TARGET_BYTES) -> bytes:
    """A JPEG of at least `target` bytes that compresses like a detailed photograph: smooth
    colour fields with fine grain on top (not pure noise, which no camera makes)."""
    rng = random.Random(16)
    width = 2400
    while True:
        height = width * 3 // 4
        base = Image.new("RGB", (32, 24))
        base.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(32 * 24)])
        image = base.resize((width, height), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(8))
        grain = Image.effect_noise((width, height), 40).convert("RGB")
        image = Image.blend(image, grain, 0.25)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=95)
        if out.tell() >= target:
            return out.getvalue()
        width = int(width * math.sqrt(target / out.tell()) * 1.05)


async def pictures(options: Options, meter: Meter) -> Result:
    photo = await asyncio.to_thread(photograph)
    crowd = Crowd(options, f"p{run_tag()}-")
    try:
        entry = await crowd.enter("pictures: entering")
        await wait_until(lambda: False, 1.0)  # let the entries settle
        totals = crowd.totals
        arrivals: list[int] = []
        previews: list[bytes] = []

        def seen(payload: bytes, now_ns: int) -> None:
            if b"data-picture" in payload:
                arrivals.append(now_ns)
                previews.extend(PREVIEW_URL.findall(payload)[:1])

        for tally in crowd.tallies:
            tally.on_picture = seen
        wire_before, bytes_before = totals.wire_bytes, totals.bytes
        n = len(crowd.sockets)
        async with Progress("pictures", lambda: f"received {len(arrivals)}/{n}", options.quiet):
            phase = PhaseCPU(meter)
            started = time.monotonic_ns()
            status, _, answer = await http_request(
                options.target,
                "POST",
                f"/pictures?to={CHANNEL}",
                photo,
                {
                    "Cookie": f"barertc_session={crowd.cookies[0]}",
                    "Origin": options.target.origin,
                    "Content-Type": "image/jpeg",
                },
                source_address(options.target, 0),
            )
            uploaded = time.monotonic_ns()
            if status != 201:
                raise RuntimeError(f"upload: HTTP {status} {answer[:200]!r}")
            await wait_until(lambda: len(arrivals) >= n, options.timeout)
            wire_per_recipient = (totals.wire_bytes - wire_before) / n
            fragment_per_recipient = (totals.bytes - bytes_before) / n
            fetched, preview_bytes, large_bytes = await _fetch_previews(options, previews[0].decode(), n)
            cpu = phase.stop()
        text_bytes = await _text_message_bytes(crowd, options)
        return {
            "entry_s": entry["complete_s"],
            "upload_bytes": len(photo),
            "upload_http_ms": round((uploaded - started) / 1e6, 1),
            "delivered": len(arrivals),
            "expected": n,
            "socket_bytes_per_recipient": round(wire_per_recipient),
            "fragment_bytes_per_recipient": round(fragment_per_recipient),
            "text_message_bytes_per_recipient": text_bytes,
            **{f"message_{key}": value for key, value in latency_summary([t - started for t in arrivals]).items()},
            "all_previews_fetched_ms": round((fetched - started) / 1e6, 1),
            "preview_bytes": preview_bytes,
            "large_bytes": large_bytes,
            **cpu,
            **_rss_connected(meter),
        }
    finally:
        crowd.leave()
        await wait_for_empty_room(options.target)


async def _text_message_bytes(crowd: Crowd, options: Options) -> int:
    """For comparison: the socket bytes each recipient gets for one short text message there."""
    totals = crowd.totals
    run = run_tag()
    totals.new_run(run)
    before = totals.wire_bytes
    crowd.sockets[0].say(message_text(run, 0, 0, time.monotonic_ns()), channel=CHANNEL)
    await wait_until(lambda: totals.delivered >= len(crowd.sockets), options.timeout)
    return round((totals.wire_bytes - before) / len(crowd.sockets))


async def _fetch_previews(options: Options, preview: str, n: int) -> tuple[int, int, int]:
    """Every recipient fetches the preview once; when the last has it (monotonic ns), and the
    sizes of the preview and the large rendition."""
    gate = asyncio.Semaphore(FETCH_CONCURRENCY)
    sizes: list[int] = []

    async def one(index: int) -> None:
        async with gate:
            status, _, body = await http_request(
                options.target, "GET", preview, source=source_address(options.target, index)
            )
            if status != 200:
                raise RuntimeError(f"preview: HTTP {status}")
            sizes.append(len(body))

    await asyncio.gather(*(one(index) for index in range(n)))
    fetched = time.monotonic_ns()
    _, _, large = await http_request(options.target, "GET", preview.removesuffix("/preview"))
    return fetched, sizes[0], len(large)
