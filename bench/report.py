"""The results: one row per run, the median of repeated runs, a table, and JSON."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path

Row = dict[str, object]

# Columns shown in the table, when a row has them; everything is in the JSON.
COLUMNS = [
    "scenario",
    "run",
    "n",
    "workers",
    "compression",
    "delivered",
    "expected",
    "complete_s",
    "entry_s",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "upload_bytes",
    "upload_http_ms",
    "socket_bytes_per_recipient",
    "fragment_bytes_per_recipient",
    "text_message_bytes_per_recipient",
    "message_p50_ms",
    "message_p99_ms",
    "message_max_ms",
    "all_previews_fetched_ms",
    "preview_bytes",
    "large_bytes",
    "newcomer_entry_s",
    "slow_disconnected",
    "slow_close_code",
    "server_cpu_s",
    "phase_server_cpu_s",
    "server_us_per_delivery",
    "server_ms_per_join",
    "phase_bench_cpu_s",
    "rss_connected_mb",
    "server_peak_rss_mb",
    "frames",
    "mb_received",
    "mb_wire",
]


def median_row(rows: Sequence[Row]) -> Row:
    """Each numeric column's median over the runs; other columns from the first run."""
    merged: Row = dict(rows[0])
    merged["run"] = "median"
    for key, value in rows[0].items():
        values = [row.get(key) for row in rows]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if key != "run" and len(numbers) == len(rows):
            merged[key] = round(statistics.median(numbers), 3)
        elif isinstance(value, bool):
            merged[key] = all(v is True for v in values)
    return merged


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


def table(rows: Sequence[Row]) -> str:
    columns = [c for c in COLUMNS if any(c in row for row in rows)]
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def write_json(path: Path, scenario: str, command: str, rows: Sequence[Row], machine: Row) -> None:
    document = {
        "scenario": scenario,
        "command": command,
        "machine": machine,
        "runs": [r for r in rows if r.get("run") != "median"],
        "median": next((r for r in rows if r.get("run") == "median"), None),
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
