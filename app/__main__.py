"""The command line: `python -m app --address HOST:PORT --settings PATH`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.run import run
from quart import Quart

from app import LOG_FORMAT, create_app
from app.serving import hypercorn_config, single_room_problem
from app.settings import SettingsError, load_settings
from app.version import version
from app.web.state import EXTENSION, RESTART_MARKER, RESTART_STATUS, ChatState

log = logging.getLogger("app")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def program_name() -> str:
    """How the operator started us: the `barertc` command, or `python -m app`."""
    return "barertc" if Path(sys.argv[0]).name == "barertc" else "python -m app"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = _Parser(prog=program_name(), description="BareRTC for Python: a webcam chat room server.")
    parser.add_argument(
        "--address",
        "-address",
        default="127.0.0.1:9000",
        metavar="HOST:PORT",
        help="where to listen (default 127.0.0.1:9000); -address is the Go original's spelling",
    )
    parser.add_argument(
        "--settings",
        "-settings",
        default="settings.toml",
        metavar="PATH",
        help="the settings file; written with defaults if missing (default ./settings.toml)",
    )
    parser.add_argument(
        "--workers",
        "-workers",
        default=1,
        type=_positive,
        metavar="N",
        help="worker processes (default 1); more than one needs [Redis] URL in settings",
    )
    parser.add_argument("--debug", "-debug", action="store_true", help="log at debug level")
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"bad --address {address!r}: expected HOST:PORT, for example 127.0.0.1:9000")
    return host.strip("[]") or "0.0.0.0", int(port)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    level = logging.DEBUG if args.debug else logging.INFO
    logging.basicConfig(level=level, format=LOG_FORMAT)
    try:
        host, port = parse_address(args.address)
        existed = Path(args.settings).exists()
        settings = load_settings(args.settings)
    except (ValueError, SettingsError) as error:
        print(f"{program_name()}: error: {error}", file=sys.stderr)
        return 2
    problem = single_room_problem(settings, args.workers)
    if problem:
        print(f"{program_name()}: error: {problem}", file=sys.stderr)
        return 2
    if not existed:
        log.info("wrote default settings to %s", Path(args.settings).resolve())
    config = hypercorn_config(settings, host, port, args.workers)
    log.info(
        "BareRTC for Python %s serving on http://%s:%d%s",
        version(),
        host,
        port,
        f" with {args.workers} workers" if args.workers > 1 else "",
    )
    try:
        if args.workers > 1:
            return _run_workers(config, args.settings, level)
        app = create_app(settings)
        asyncio.run(_serve(app, config))
    except OSError as error:
        print(f"{program_name()}: error: cannot listen on {args.address}: {error.strerror}", file=sys.stderr)
        return 1
    state: ChatState = app.extensions[EXTENSION]
    if state.restart_requested:  # /shutdown or /api/shutdown: for the supervisor to start us again
        log.info("exiting with status %d, for the supervisor to start the chat again", RESTART_STATUS)
        return RESTART_STATUS
    return 0


def _run_workers(config: Config, settings_path: str, level: int) -> int:
    """Hypercorn's own worker processes, each calling create_app() with the same settings file;
    RESTART_STATUS once a worker said it restarts (`/shutdown`), whatever Hypercorn returns."""
    os.environ["BARERTC_SETTINGS"] = str(Path(settings_path).resolve())
    with tempfile.TemporaryDirectory(prefix="barertc-") as folder:
        marker = Path(folder) / "restart"
        os.environ[RESTART_MARKER] = str(marker)
        status = _hypercorn_workers(config, level)
        if marker.exists():
            log.info("exiting with status %d, for the supervisor to start the chat again", RESTART_STATUS)
            return RESTART_STATUS
        return status


def _hypercorn_workers(config: Config, level: int) -> int:
    config.application_path = "app:create_app()"
    config.logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"level": level, "handlers": ["stderr"]},
    }
    return run(config)


async def _serve(app: Quart, config: Config) -> None:
    """One process: SIGTERM or SIGINT closes every socket with 1012, then Hypercorn stops."""
    state: ChatState = app.extensions[EXTENSION]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, state.request_stop)
    await serve(app, config, shutdown_trigger=state.sockets_closed.wait)


if __name__ == "__main__":
    sys.exit(main())
