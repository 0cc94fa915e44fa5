"""The result table of the archive rows: ratios, the dockyard targets, the machine facts."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import peers
from bench.genimage import MIB
from bench.peers import Sample

LOAD_RATIO_TARGET = 1.2  # cold load time / limit time
SAVE_RATIO_TARGET = 1.2  # save time / limit time (a save verifies every layer it reads)
WARM_LOAD_TARGET = 0.3
RSS_TARGET_MB = 100.0


@dataclass
class Row:
    """One line of the result table."""

    label: str
    kind: str  # "limit", "copy", "load" or "save"
    cache: str  # "cold" or "warm"
    input_bytes: int
    dockyard: bool = False
    samples: list[Sample] = field(default_factory=list)
    status: str = "ok"
    seconds: float | None = None
    mb_per_s: float | None = None
    rss_mb: float | None = None
    ratio: float | None = None
    ratio_ref: str = ""
    target: str = ""

    def summarise(self) -> None:
        """Fill the summary fields from the samples (median time, highest peak RSS)."""
        if not self.samples or self.status != "ok":
            return
        self.seconds = statistics.median(s.seconds for s in self.samples)
        moved = self.samples[-1].output_bytes if self.kind == "save" else self.input_bytes
        self.mb_per_s = moved / MIB / self.seconds if self.seconds > 0 else None
        self.rss_mb = max(s.total_rss_kib for s in self.samples) / 1024


def verdict(checks: Sequence[tuple[str, bool | None]]) -> str:
    """Combine named checks (True passed, False failed, None not checkable) into one cell.

    Returns:
        ``pass``, ``FAIL (failed checks)`` or ``not checked (unknown checks); <rest> pass``.
    """
    failed = [name for name, ok in checks if ok is False]
    unknown = [name for name, ok in checks if ok is None]
    if failed:
        return "FAIL (" + "; ".join(failed) + ")"
    if unknown:
        rest = [name for name, ok in checks if ok]
        passed = f"; {', '.join(rest)}: pass" if rest else ""
        return "not checked (" + "; ".join(unknown) + ": no reference)" + passed
    return "pass"


def judge(row: Row) -> str:
    """Judge a dockyard row against its targets: "pass", "FAIL (...)"."""
    checks: list[tuple[str, bool | None]] = []
    if row.cache == "warm":
        checks.append((f"<= {WARM_LOAD_TARGET} s", (row.seconds or 0.0) <= WARM_LOAD_TARGET))
    else:
        limit = LOAD_RATIO_TARGET if row.kind == "load" else SAVE_RATIO_TARGET
        ok = None if row.ratio is None else row.ratio <= limit
        checks.append((f"<= {limit}x limit", ok))
    checks.append((f"RSS <= {RSS_TARGET_MB:.0f} MB", (row.rss_mb or 0.0) <= RSS_TARGET_MB))
    return verdict(checks)


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def table(rows: Sequence[Row]) -> str:
    """Render the rows as a markdown table."""
    head = ["operation", "cache", "seconds", "MB/s", "peak RSS MB", "ratio", "target"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
    for r in rows:
        secs = _num(r.seconds, ".2f") if r.status == "ok" else r.status.replace("|", "/")
        ratio = f"{r.ratio:.2f}x {r.ratio_ref}" if r.ratio is not None else "-"
        cells = [r.label, r.cache, secs, _num(r.mb_per_s, ".0f"), _num(r.rss_mb, ".0f"), ratio]
        lines.append("| " + " | ".join([*cells, r.target or "-"]) + " |")
    return "\n".join(lines)


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not available"
    return (out.stdout or out.stderr).strip().splitlines()[0] if out.returncode == 0 else "n/a"


def _filesystem(path: Path) -> str:
    best, desc = "", "unknown"
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return desc
    target = str(path.resolve())
    for line in lines:
        left, _, right = line.partition(" - ")
        point, fields = left.split()[4], right.split()
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best) and len(fields) >= 2:
            best, desc = point, f"{fields[0]} on {fields[1]} (mounted at {point})"
    return desc


def machine_facts(out: Path) -> dict[str, str]:
    """Cores, memory, kernel, the file system of ``out`` and the peer tools' versions."""
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    stat = os.statvfs(out)
    return {
        "cores": str(os.cpu_count()),
        "memory": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "filesystem": _filesystem(out),
        "free space": f"{stat.f_bavail * stat.f_frsize / 1e9:.1f} GB",
        "dockerd": _version(["dockerd", "--version"]),
        "skopeo": _version(["skopeo", "--version"]),
        "page cache dropped before cold runs": "yes" if peers.caches_droppable() else "no",
    }
