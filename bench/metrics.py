"""The server's CPU time and memory, read from /proc (Linux only).

The PID comes from `--pid`, or from whichever process holds the listening socket on the
server's port (/proc/net/tcp gives the socket's inode, /proc/PID/fd links name it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
LISTEN = "0A"


@dataclass(frozen=True)
class Sample:
    cpu_s: float
    rss_mb: float
    peak_rss_mb: float


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        path = PROC / "net" / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def find_pid(port: int) -> int | None:
    """The process listening on `port`, if this user can see its file descriptors."""
    wanted = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not wanted:
        return None
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:
            continue
        if wanted.intersection(links):
            return int(entry.name)
    return None


def _status_kb(pid: int, key: str) -> float:
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        if line.startswith(key + ":"):
            return float(line.split()[1])
    return 0.0


def sample(pid: int) -> Sample:
    # Fields after the ")" that ends the command name: utime and stime are the 12th and 13th.
    stat = (PROC / str(pid) / "stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    return Sample(cpu, _status_kb(pid, "VmRSS") / 1024, _status_kb(pid, "VmHWM") / 1024)


def reset_peak(pid: int) -> bool:
    """Reset VmHWM so a run's peak is its own (Linux 4.0+, same user only)."""
    try:
        (PROC / str(pid) / "clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Meter:
    """CPU seconds and peak RSS of one process over one run."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self._start: Sample | None = None

    def start(self) -> None:
        if self.pid is not None:
            reset_peak(self.pid)
            self._start = sample(self.pid)

    def now(self) -> Sample | None:
        return sample(self.pid) if self.pid is not None else None

    def stop(self) -> dict[str, float]:
        if self.pid is None or self._start is None:
            return {}
        end = sample(self.pid)
        return {
            "server_cpu_s": round(end.cpu_s - self._start.cpu_s, 2),
            "server_peak_rss_mb": round(end.peak_rss_mb, 1),
        }
