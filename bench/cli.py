"""The command line: `python -m bench SCENARIO --url URL --n N ...` and `python -m bench serve`."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import sys
from contextlib import nullcontext
from pathlib import Path

from bench.client import Target
from bench.crowd import Options
from bench.dms import dm
from bench.metrics import Meter, find_pid
from bench.pictures import pictures
from bench.report import Row, median_row, table, write_json
from bench.scenarios import SCENARIOS as CROWD_SCENARIOS
from bench.scenarios import Scenario
from bench.serve import fresh_server, serve

SCENARIOS: dict[str, Scenario] = {**CROWD_SCENARIOS, "dm": dm, "pictures": pictures}

# Per-scenario defaults where the targets differ from the general ones.
DEFAULTS: dict[str, dict[str, float]] = {
    "storm": {"n": 1000},
    "steady": {"n": 1000, "rate": 50.0, "messages": 200},
    "burst": {"n": 1000, "messages": 200},
    "slow": {"n": 200, "messages": 400, "size": 16000},
    "dm": {"n": 200, "rate": 50.0, "messages": 1000},
    "pictures": {"n": 1000},
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Load-test a running BareRTC server.")
    parser.add_argument(
        "scenario",
        choices=[*SCENARIOS, "serve"],
        help="storm, steady, burst, slow, dm or pictures; or serve: start a server with bench settings",
    )
    parser.add_argument("--url", default="http://127.0.0.1:9000", help="the server (loopback)")
    parser.add_argument("--n", type=int, help="users (default 1000; slow: 200)")
    parser.add_argument(
        "--senders",
        type=int,
        default=10,
        help="users who send (raised to stay under the default burst of 20 messages each)",
    )
    parser.add_argument("--rate", type=float, help="total messages a second (steady: 50; 0 = flat out)")
    parser.add_argument("--messages", type=int, help="messages to send (default 200; slow: 400)")
    parser.add_argument("--size", type=int, help="characters of padding per message (slow: 16000)")
    parser.add_argument("--batch", type=int, default=50, help="sockets opened at once (default 50)")
    parser.add_argument(
        "--blocks",
        type=int,
        default=0,
        help="storm: blocked pairs placed (each pair enters, one blocks the other, both leave) before the storm",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds any phase may wait")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the median is reported too")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--pid", type=int, help="server PID (default: whoever listens on the port)")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="start a fresh `bench serve` on the URL's port "
        "for each run and stop it after, so that no run inherits another's memory",
    )
    parser.add_argument(
        "--compression",
        choices=["none", "deflate"],
        default="none",
        help="deflate: offer permessage-deflate as Chromium does, and inflate what comes back (default none)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="serve, and --fresh: worker processes; more than one runs over a private redis-server",
    )
    parser.add_argument("--redis", help="serve: a Redis URL for the workers instead of a private redis-server")
    parser.add_argument("--port", type=int, default=9000, help="serve: port to listen on")
    parser.add_argument("--settings", type=Path, help="serve: settings file (default: a temporary one)")
    parser.add_argument(
        "--history", action="store_true", help="serve and --fresh: with DM history on (SQLite beside the settings)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    return parser.parse_args(argv)


def options_from(args: argparse.Namespace) -> Options:
    defaults = DEFAULTS[args.scenario]

    def pick(name: str, fallback: float) -> float:
        value = getattr(args, name)
        return float(value) if value is not None else defaults.get(name, fallback)

    return Options(
        target=Target.from_url(args.url, deflate=args.compression == "deflate"),
        n=int(pick("n", 1000)),
        senders=args.senders,
        rate=pick("rate", 0.0),
        messages=int(pick("messages", 200)),
        size=int(pick("size", 0)),
        batch=args.batch,
        timeout=args.timeout,
        quiet=args.quiet,
        blocks=args.blocks,
    )


def machine() -> Row:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


async def run(args: argparse.Namespace) -> list[Row]:
    options = options_from(args)
    rows: list[Row] = []
    for index in range(1, args.repeat + 1):
        fresh = fresh_server(options.target.port, args.workers, history=args.history) if args.fresh else nullcontext()
        async with fresh as started:
            pid = args.pid or (started.pid if started else find_pid(options.target.port))
            if pid is None:
                print("note: server PID not found; CPU and memory are not reported (give --pid)", file=sys.stderr)
            meter = Meter(pid)
            meter.start()
            result = await SCENARIOS[args.scenario](options, meter)
            row = {"scenario": args.scenario, "run": index, "n": options.n, **result, **meter.stop()}
            rows.append({**row, "compression": args.compression, "workers": args.workers, **per_delivery(row)})
    if args.repeat > 1:
        rows.append(median_row(rows))
    return rows


def per_delivery(row: Row) -> Row:
    """The server's CPU per delivery over the phase that delivers (per join, for the storm)."""
    delivered, cpu = row.get("delivered"), row.get("phase_server_cpu_s", row.get("server_cpu_s"))
    if not isinstance(delivered, int) or not delivered or not isinstance(cpu, int | float):
        return {}
    if row.get("scenario") == "pictures":  # its phase decodes and serves a thousand previews too
        return {}
    if row.get("scenario") == "storm":
        return {"server_ms_per_join": round(cpu * 1e3 / delivered, 2)}
    return {"server_us_per_delivery": round(cpu * 1e6 / delivered, 2)}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.scenario == "serve":
        serve(args.port, args.settings, args.workers, args.redis, history=args.history)
        return 0
    rows = asyncio.run(run(args))
    print(table(rows))
    if args.out:
        write_json(args.out, args.scenario, shlex.join(["python", "-m", "bench", *argv]), rows, machine())
    ok = all(row.get("delivered") == row.get("expected") for row in rows)
    return 0 if ok else 1
