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


def _stat_fields(pid: int) -> list[str]:
    # Fields after the ")" that ends the command name: ppid is the 2nd, utime and stime the 12th
    # and 13th, cutime and cstime (children already reaped) the 14th and 15th.
    return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()


def tree(pid: int) -> list[int]:
    """`pid` and its descendants (a server's workers, its private Redis)."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat_fields(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                continue
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def sample(pid: int) -> Sample:
    """CPU seconds and memory of `pid` and its descendants, added up."""
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = rss = peak = 0.0
    for member in tree(pid):
        try:
            fields = _stat_fields(member)
            cpu += sum(int(f) for f in fields[11:15]) / ticks
            rss += _status_kb(member, "VmRSS") / 1024
            peak += _status_kb(member, "VmHWM") / 1024
        except OSError:
            continue  # ended meanwhile
    return Sample(cpu, rss, peak)


def reset_peak(pid: int) -> bool:
    """Reset VmHWM so a run's peak is its own (Linux 4.0+, same user only)."""
    try:
        for member in tree(pid):
            (PROC / str(member) / "clear_refs").write_text("5")
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
