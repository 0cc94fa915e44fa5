"""Rows, targets and tables of the store-scaling suites: growth, commands and start-up."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.genimage import MIB
from bench.peers import Sample
from bench.report import RSS_TARGET_MB, verdict

TARGET_IMAGES = 10_000  # the growth targets are judged on the archive of this many images
GROWTH_LOAD_SECONDS = 10.0
GROWTH_SPEEDUP = 5.0  # docker load time / dockyard load time, at least
FAST_COMMANDS = ("image inspect", "tag", "rmi", "history")
FAST_COMMAND_SECONDS = 0.15
LISTING_COMMANDS = ("images", "images -q")
LISTING_SECONDS = 0.6
STARTUP_LIMITS_MS = {"version": 50.0, "help": 50.0, "inspect": 100.0}
LINEAR_SLACK = 2.0  # marginal cost per image may grow this much and still count as linear


@dataclass
class Timing:
    """The samples of one command run by one tool, and their summary."""

    tool: str
    samples: list[Sample] = field(default_factory=list)
    status: str = "ok"  # or "timeout after ...", "error (...)", "unavailable (...)"
    problem: str = ""  # the first wrong output seen, if any
    seconds: float | None = None
    rss_mb: float | None = None
    client_rss_mb: float | None = None
    daemon_rss_mb: float | None = None

    def summarise(self) -> None:
        """Median time and highest peak RSS (client, daemon, and both) of the samples."""
        if self.status != "ok" or not self.samples:
            return
        self.seconds = statistics.median(s.seconds for s in self.samples)
        self.rss_mb = max(s.total_rss_kib for s in self.samples) / 1024
        self.client_rss_mb = max(s.rss_kib for s in self.samples) / 1024
        self.daemon_rss_mb = max(s.daemon_rss_kib for s in self.samples) / 1024

    @property
    def ran(self) -> bool:
        """Whether there is a time to report."""
        return self.status == "ok" and self.seconds is not None

    def time_cell(self, fmt: str = ".2f") -> str:
        """The seconds, or the reason there are none."""
        if self.ran:
            return format(self.seconds, fmt)
        return self.status.replace("|", "/") if self.status != "ok" else "-"

    def rss_cell(self) -> str:
        """Peak RSS in MB; ``total (client + daemon)`` when a daemon did the work."""
        if not self.ran or self.rss_mb is None:
            return "-"
        if self.daemon_rss_mb:
            return f"{self.rss_mb:.0f} ({self.client_rss_mb:.0f} + {self.daemon_rss_mb:.0f})"
        return f"{self.rss_mb:.0f}"


def _time_check(timing: Timing, name: str, limit: float) -> tuple[str, bool | None]:
    if timing.ran:
        return name, (timing.seconds or 0.0) <= limit
    if timing.status.startswith(("timeout", "error")):
        return f"{name}: {timing.status.split(' ')[0]}", False
    return name, None


def _rss_check(timing: Timing) -> tuple[str, bool | None]:
    ok = None if timing.rss_mb is None else timing.rss_mb <= RSS_TARGET_MB
    return f"RSS <= {RSS_TARGET_MB:.0f} MB", ok


def _judge(checks: list[tuple[str, bool | None]], timing: Timing) -> str:
    """The target cell of a dockyard timing: the checks' verdict, and any wrong output."""
    if not timing.ran:
        failed = [name for name, ok in checks if ok is False]
        if failed:
            return "FAIL (" + "; ".join(failed) + ")"
        if timing.status.startswith("error"):
            return "FAIL (command failed)"
        return f"not checked ({timing.status.split(' ')[0]})"
    target = verdict(checks)
    return f"{target}; WRONG OUTPUT: {timing.problem}" if timing.problem else target


# -- growth ------------------------------------------------------------------------------


@dataclass
class GrowthRow:
    """Loading one archive of N tiny images, by dockyard and by docker."""

    images: int
    archive_bytes: int
    dockyard: Timing = field(default_factory=lambda: Timing("dockyard"))
    docker: Timing = field(default_factory=lambda: Timing("docker"))
    ratio: float | None = None  # docker seconds / dockyard seconds
    target: str = ""

    def finish(self) -> None:
        """Summarise both tools, compute the ratio and judge dockyard."""
        self.dockyard.summarise()
        self.docker.summarise()
        if self.dockyard.ran and self.docker.ran and self.dockyard.seconds:
            self.ratio = (self.docker.seconds or 0.0) / self.dockyard.seconds
        checks: list[tuple[str, bool | None]] = []
        if self.images == TARGET_IMAGES:
            name = f"<= {GROWTH_LOAD_SECONDS:g} s"
            checks.append(_time_check(self.dockyard, name, GROWTH_LOAD_SECONDS))
            speed = f">= {GROWTH_SPEEDUP:g}x faster than docker"
            if self.ratio is not None:
                checks.append((speed, self.ratio >= GROWTH_SPEEDUP))
            elif not self.dockyard.ran and self.dockyard.status.startswith(("timeout", "error")):
                checks.append((speed, False))
            elif self.dockyard.ran and self.docker.status.startswith("timeout"):
                checks.append((speed, True))  # docker ran out of time: far slower than dockyard
            else:
                checks.append((speed, None))
        checks.append(_rss_check(self.dockyard))
        self.target = _judge(checks, self.dockyard)


def _rate(timing: Timing, images: int) -> str:
    return f"{images / timing.seconds:.0f}" if timing.ran and timing.seconds else "-"


def growth_table(rows: Sequence[GrowthRow]) -> str:
    """The load-growth table: one line per archive size."""
    head = [
        "images", "archive MB", "dockyard load s", "images/s", "peak RSS MB",
        "docker load s", "images/s", "peak RSS MB (client + daemon)", "docker/dockyard",
        "target",
    ]  # fmt: skip
    lines = _head(head)
    for r in rows:
        ratio = f"{r.ratio:.1f}x" if r.ratio is not None else "-"
        cells = [
            f"{r.images:,}", f"{r.archive_bytes / MIB:.1f}",
            r.dockyard.time_cell(), _rate(r.dockyard, r.images), r.dockyard.rss_cell(),
            r.docker.time_cell(), _rate(r.docker, r.images), r.docker.rss_cell(),
            ratio, r.target or "-",
        ]  # fmt: skip
        lines.append(_line(cells))
    return "\n".join(lines)


def _marginals(rows: Sequence[GrowthRow], pick: str) -> list[float | None]:
    """Milliseconds per added image between consecutive sizes (None for the first)."""
    out: list[float | None] = [None]
    for prev, cur in itertools.pairwise(rows):
        a, b = getattr(prev, pick), getattr(cur, pick)
        ok = a.ran and b.ran and cur.images > prev.images
        out.append((b.seconds - a.seconds) * 1000 / (cur.images - prev.images) if ok else None)
    return out


def linearity(rows: Sequence[GrowthRow], pick: str) -> str:
    """A one-line verdict on how the cost of one more image changes as N grows."""
    marginal = [m for m in _marginals(rows, pick)[1:] if m is not None]
    timings: list[Timing] = [getattr(r, pick) for r in rows]
    if not any(t.ran for t in timings):
        reasons = sorted({t.status for t in timings if t.status != "ok"})
        return "no times" + (f" ({'; '.join(reasons)})" if reasons else "")
    if len(marginal) < 2:
        return "not enough sizes (three or more are needed to compare the cost of added images)"
    steps = " -> ".join(f"{m:.2f}" for m in marginal)
    first, last = marginal[0], marginal[-1]
    if first <= 0:
        return f"marginal ms per image {steps}: not judged (first step not positive)"
    growth = last / first
    if growth <= LINEAR_SLACK:
        shape = "about linear"
    else:
        shape = f"superlinear: each added image costs {growth:.1f}x more at the largest size"
    return f"marginal ms per image {steps}: {shape}"


def cost_table(rows: Sequence[GrowthRow]) -> str:
    """The cost-per-image table: total and marginal milliseconds per image as N grows."""
    head = [
        "N", "dockyard load s", "ms per image", "marginal ms per image",
        "docker load s", "ms per image", "marginal ms per image",
    ]  # fmt: skip
    lines = _head(head)
    dy, dk = _marginals(rows, "dockyard"), _marginals(rows, "docker")
    for r, m1, m2 in zip(rows, dy, dk, strict=True):
        cells = [f"{r.images:,}"]
        for timing, marginal in ((r.dockyard, m1), (r.docker, m2)):
            per = f"{(timing.seconds or 0.0) * 1000 / r.images:.2f}" if timing.ran else "-"
            cells += [timing.time_cell(), per, "-" if marginal is None else f"{marginal:.2f}"]
        lines.append(_line(cells))
    return "\n".join(lines)


# -- commands ----------------------------------------------------------------------------


@dataclass
class CommandRow:
    """One command on the big store: dockyard and every docker client that could run it."""

    command: str
    argv: list[str]
    dockyard: Timing = field(default_factory=lambda: Timing("dockyard"))
    dockers: list[Timing] = field(default_factory=list)
    ratio: float | None = None  # first docker client's seconds / dockyard seconds
    target: str = ""

    def finish(self) -> None:
        """Summarise, compute the ratio against the first docker client, judge dockyard."""
        for timing in (self.dockyard, *self.dockers):
            timing.summarise()
        first = self.dockers[0] if self.dockers else None
        if first is not None and first.ran and self.dockyard.ran and self.dockyard.seconds:
            self.ratio = (first.seconds or 0.0) / self.dockyard.seconds
        checks: list[tuple[str, bool | None]] = []
        if self.command in FAST_COMMANDS:
            checks.append(_time_check(self.dockyard, "<= 0.15 s", FAST_COMMAND_SECONDS))
        elif self.command in LISTING_COMMANDS:
            checks.append(_time_check(self.dockyard, "<= 0.6 s", LISTING_SECONDS))
        checks.append(_rss_check(self.dockyard))
        self.target = _judge(checks, self.dockyard)


def commands_table(rows: Sequence[CommandRow], images: int) -> str:
    """The commands table: one line per command, one column pair per tool."""
    tools = [t.tool for t in rows[0].dockers] if rows else []
    head = [f"command ({images:,}-image store)", "dockyard s", "peak RSS MB"]
    for tool in tools:
        head += [f"{tool} s", f"{tool} peak RSS MB (client + daemon)"]
    head += [f"{tools[0]}/dockyard" if tools else "docker/dockyard", "target"]
    lines = _head(head)
    for r in rows:
        cells = [f"`{' '.join(r.argv)}`", r.dockyard.time_cell(".3f"), r.dockyard.rss_cell()]
        for timing in r.dockers:
            cell = timing.time_cell(".3f")
            if timing.problem:
                cell += f" (wrong output: {timing.problem})"
            cells += [cell, timing.rss_cell()]
        cells += [f"{r.ratio:.1f}x" if r.ratio is not None else "-", r.target or "-"]
        lines.append(_line(cells))
    return "\n".join(lines)


# -- start-up ----------------------------------------------------------------------------


@dataclass
class StartupRow:
    """One start-up case; ``key`` names its target (see ``STARTUP_LIMITS_MS``) or is empty."""

    label: str
    key: str
    timing: Timing = field(default_factory=lambda: Timing("dockyard"))
    over_bare_ms: float | None = None
    target: str = ""

    def finish(self, bare: Timing | None) -> None:
        """Summarise, compute the difference to the bare interpreter, judge."""
        self.timing.summarise()
        if not self.key:
            return
        if bare is not None and bare.ran and self.timing.ran:
            self.over_bare_ms = ((self.timing.seconds or 0.0) - (bare.seconds or 0.0)) * 1000
        limit = STARTUP_LIMITS_MS[self.key]
        name = f"<= bare + {limit:.0f} ms"
        if self.over_bare_ms is not None:
            check: tuple[str, bool | None] = (name, self.over_bare_ms <= limit)
        elif self.timing.status.startswith(("timeout", "error")):
            check = (f"{name}: {self.timing.status.split(' ')[0]}", False)
        else:
            check = (name, None)  # no bare-interpreter time to compare with
        checks = [check, _rss_check(self.timing)]
        self.target = _judge(checks, self.timing)


def startup_table(rows: Sequence[StartupRow]) -> str:
    """The start-up table, in milliseconds."""
    lines = _head(["command", "ms", "over bare interpreter ms", "peak RSS MB", "target"])
    for r in rows:
        t = r.timing
        ms = f"{(t.seconds or 0.0) * 1000:.0f}" if t.ran else t.time_cell()
        over = "-" if r.over_bare_ms is None else f"{r.over_bare_ms:+.0f}"
        lines.append(_line([r.label, ms, over, t.rss_cell(), r.target or "-"]))
    return "\n".join(lines)


def _head(head: list[str]) -> list[str]:
    return [_line(head), "|" + "|".join(["---"] * len(head)) + "|"]


def _line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
