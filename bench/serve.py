"""`python -m bench serve`: the chat server with the settings the bench needs.

Everything stays at its default except what the slow scenario's 16 KB messages need:
`Limits.MaxMessageLength = 20000` (the frame carrying one is under the default 64 KiB
`MaxFrameBytes`). The default rate limits stay: the bench uses enough senders instead.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from app.settings import defaults_document

BENCH_LIMITS: dict[str, int] = {"MaxMessageLength": 20000}


def write_bench_settings(path: Path) -> Path:
    doc = defaults_document()
    doc["TURN"]["URLs"] = []
    for key, value in BENCH_LIMITS.items():
        doc["Limits"][key] = value
    path.write_text(doc.as_string(), encoding="utf-8")
    return path


def serve(port: int, settings: Path | None) -> None:
    """Replace this process with `python -m app` on 127.0.0.1:PORT (so --pid is the server)."""
    if settings is None:
        settings = Path(tempfile.mkdtemp(prefix="barertc-bench-")) / "settings.toml"
    if not settings.exists():
        write_bench_settings(settings)
    print(f"bench server on http://127.0.0.1:{port} (settings {settings}, pid {os.getpid()})", file=sys.stderr)
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "app", "--address", f"127.0.0.1:{port}",
                              "--settings", str(settings)])
