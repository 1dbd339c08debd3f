"""`python -m bench.newcomer URL NAME TIMEOUT [deflate]`: one user signs in and enters, in a process of
its own, and prints the seconds until their who list arrived.

The slow scenario runs its newcomer here rather than on the bench's event loop, which is busy
reading what the server sends to the whole crowd: a real newcomer is a browser of their own, and
the time measured should be the server's, not a wait for a turn on the bench's loop.
"""

from __future__ import annotations

import asyncio
import sys
import time

from bench.client import Target, open_socket, sign_in
from bench.crowd import wait_until
from bench.tally import Tally, Totals


async def enter(target: Target, name: str, timeout: float) -> float:
    started = time.monotonic()
    tally = Tally(Totals(), who_target=1)
    sock = await open_socket(target, await sign_in(target, name), tally, timeout=timeout)
    try:
        if not await wait_until(lambda: tally.who_complete_ns is not None, timeout):
            raise TimeoutError(f"{name}: no who list within {timeout:g} s")
        return time.monotonic() - started
    finally:
        sock.leave()


def main(argv: list[str]) -> int:
    url, name, timeout, *compression = argv
    target = Target.from_url(url, deflate=compression == ["deflate"])
    print(f"{asyncio.run(enter(target, name, float(timeout))):.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
