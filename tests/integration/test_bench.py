"""The load generator keeps working: each scenario at a small N against the real server.

Only counts are asserted (every user got every message); timings belong to the bench's own
runs on a quiet machine, never to a test.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.cli import main as bench_main
from bench.client import Target
from bench.crowd import Options
from bench.dms import BENCH_JWT_SECRET, dm
from bench.metrics import Meter, find_pid
from bench.pictures import pictures
from bench.report import median_row, table
from bench.scenarios import burst, slow, steady, storm
from bench.serve import BENCH_LIMITS
from tests.support import Server, free_port, running_server

N = 20


@pytest.fixture(scope="module")
def bench_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # The bench's own limits; the stalled client is cut off after a send blocked for 5 s.
    limits = {**BENCH_LIMITS, "SendTimeoutSeconds": 5.0}
    with running_server(tmp_path_factory.mktemp("bench"), Limits=limits) as server:
        yield server


def options(server: Server, **overrides: object) -> Options:
    fields: dict[str, object] = {
        "target": Target.from_url(server.url),
        "n": N,
        "senders": 2,
        "messages": 20,
        "timeout": 20.0,
        "quiet": True,
        **overrides,
    }
    return Options(**fields)  # type: ignore[arg-type]


def meter(server: Server) -> Meter:
    found = find_pid(server.port)
    assert server.process is not None
    assert found == server.process.pid
    running = Meter(found)
    running.start()
    return running


async def test_storm_fills_every_who_list(bench_server: Server) -> None:
    result = await storm(options(bench_server), meter(bench_server))
    assert result["delivered"] == result["expected"] == N
    assert isinstance(result["rss_connected_mb"], float) and result["rss_connected_mb"] > 0


async def test_storm_with_blocks_fills_every_who_list_but_the_blocked_rows(bench_server: Server) -> None:
    result = await storm(options(bench_server, blocks=3), meter(bench_server))
    assert result["blocks"] == 3
    assert result["delivered"] == result["expected"] == N  # each of the six has one row fewer: complete
    assert result["blocked_rows_seen"] == 0  # and never got the other's


async def test_steady_delivers_every_message_to_everyone(bench_server: Server) -> None:
    result = await steady(options(bench_server, rate=100.0), meter(bench_server))
    assert result["delivered"] == result["expected"] == 20 * N
    assert result["refused_notices"] == 0


async def test_burst_delivers_every_message_to_everyone(bench_server: Server) -> None:
    result = await burst(options(bench_server, messages=40), meter(bench_server))
    assert result["delivered"] == result["expected"] == 40 * N


async def test_slow_reader_is_cut_off_and_nobody_else_waits(bench_server: Server) -> None:
    result = await slow(options(bench_server, messages=200, size=16000, senders=10), meter(bench_server))
    assert result["delivered"] == result["expected"] == 200 * N
    assert result["slow_disconnected"] is True
    assert result["slow_close_code"] == 1013  # "fell behind": the browser reconnects
    assert isinstance(result["newcomer_entry_s"], float)


async def test_pictures_reaches_everyone_for_a_few_hundred_bytes_each(bench_server: Server) -> None:
    result = await pictures(options(bench_server), meter(bench_server))
    assert result["delivered"] == result["expected"] == N
    assert isinstance(result["upload_bytes"], int) and result["upload_bytes"] >= 3 * 1024 * 1024
    assert isinstance(result["socket_bytes_per_recipient"], int) and result["socket_bytes_per_recipient"] < 4000
    assert isinstance(result["preview_bytes"], int) and 0 < result["preview_bytes"] < result["upload_bytes"]


def test_report_takes_the_median_of_runs() -> None:
    rows: list[dict[str, object]] = [
        {"scenario": "steady", "run": i, "p99_ms": p, "slow_disconnected": True}
        for i, p in enumerate([30.0, 10.0, 20.0], 1)
    ]
    median = median_row(rows)
    assert median["p99_ms"] == 20.0 and median["run"] == "median" and median["slow_disconnected"] is True
    assert "p99_ms" in table([*rows, median]).splitlines()[0]


def test_fresh_starts_a_server_for_each_run_and_stops_it(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "storm.json"
    assert (
        bench_main(
            [
                "storm",
                "--url",
                f"http://127.0.0.1:{port}",
                "--n",
                "5",
                "--repeat",
                "2",
                "--fresh",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    runs = json.loads(out.read_text())["runs"]
    assert [run["delivered"] for run in runs] == [5, 5]
    assert all(isinstance(run["rss_connected_mb"], float) for run in runs)  # each run found its server
    assert find_pid(port) is None  # and stopped it


async def test_dm_delivers_every_direct_message_twice_with_history_on(tmp_path: Path) -> None:
    jwt_on = {"Enabled": True, "Strict": False, "SecretKey": BENCH_JWT_SECRET}
    with running_server(tmp_path, JWT=jwt_on, DirectMessageHistory={"Enabled": True}) as server:
        result = await dm(options(server, n=10, messages=30, rate=100.0), meter(server))
    assert result["delivered"] == result["expected"] == 60
    assert (tmp_path / "barertc.sqlite3").exists()


async def test_with_deflate_every_socket_negotiates_it_and_every_message_arrives(bench_server: Server) -> None:
    target = Target.from_url(bench_server.url, deflate=True)
    result = await steady(options(bench_server, target=target, rate=100.0), meter(bench_server))
    assert result["delivered"] == result["expected"] == 20 * N
    assert result["compressed_sockets"] == N


def test_fresh_with_two_workers_serves_over_redis_and_meters_the_whole_tree(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "steady.json"
    argv = ["steady", "--url", f"http://127.0.0.1:{port}", "--n", "10", "--messages", "10", "--senders", "2"]
    with socket.socket() as neighbour:  # something else listens on the next port: its Redis goes elsewhere
        neighbour.bind(("127.0.0.1", port + 1))
        neighbour.listen()
        assert bench_main([*argv, "--workers", "2", "--fresh", "--quiet", "--out", str(out)]) == 0
        neighbour.setblocking(False)
        with pytest.raises(BlockingIOError):
            neighbour.accept()  # nobody took it for Redis
    (run,) = json.loads(out.read_text())["runs"]
    assert run["workers"] == 2 and run["delivered"] == run["expected"] == 100
    assert run["server_us_per_delivery"] > 0
    assert find_pid(port) is None
