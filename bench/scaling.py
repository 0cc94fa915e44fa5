"""The store-scaling suites: load growth, commands on a big store, and start-up.

* ``growth``: for each N, ``dockyard load`` and ``docker load`` of an archive of N tiny images
  (see `bench.gengrowth`), each into a fresh store or a freshly started private dockerd.
* ``commands``: everyday commands on a store holding the N-image archive (10,000 by default),
  run by the dockyard CLI and by every docker client that can talk to the private dockerd;
  each output is checked, so a fast but wrong answer is reported as such.
* ``startup``: the bare interpreter against ``dockyard --version``, ``--help`` and an
  ``inspect`` on a one-image store.

When the growth suite loads the archive the commands suite needs, its last store and daemon
are kept for it instead of being loaded a second time.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench import peers
from bench.commands import (
    COMMANDS,
    StoreState,
    Tool,
    contains,
    display,
    docker_tools,
    inspect_check,
    step,
)
from bench.daemon import daemon_pid, private_dockerd
from bench.gengrowth import GrowthInfo, generate_growth
from bench.peers import OpFailed, Unavailable
from bench.scalereport import (
    CommandRow,
    GrowthRow,
    StartupRow,
    Timing,
    commands_table,
    cost_table,
    growth_table,
    linearity,
    startup_table,
)

if TYPE_CHECKING:
    from tests.compat.dockerd import PrivateDockerd

STARTUP_MIN_RUNS = 5


def failure(exc: Exception) -> str:
    """The status cell of a row whose command failed, timed out or could not run."""
    text = str(exc)
    if isinstance(exc, Unavailable):
        return f"unavailable ({text})"
    if text.startswith("timed out"):
        return "timeout " + text.removeprefix("timed out ")
    return f"error ({text})"


def _not_loaded(images: int, status: str) -> str:
    return f"unavailable (load of {images:,} image{'s' if images != 1 else ''}: {status})"


@dataclass
class Settings:
    """What the scaling suites were asked to do."""

    sizes: list[int]
    store_images: int
    repeat: int
    command_repeat: int
    load_timeout: float
    command_timeout: float
    keep: bool
    suites: set[str]


class Scaling:
    """One run of the scaling suites; the rows measured so far and what they keep running."""

    def __init__(self, out: Path, scratch: Path, settings: Settings) -> None:
        self.out = out
        self.scratch = scratch
        self.cfg = settings
        self.base = peers.dockyard_base()
        self.growth: list[GrowthRow] = []
        self.commands: list[CommandRow] = []
        self.startup: list[StartupRow] = []
        self.archives: list[GrowthInfo] = []
        self.notes: list[str] = []
        self.stack = contextlib.ExitStack()
        self.docker_why: str | None = None  # set once dockerd turned out to be unusable
        self.kept_store: Path | str | None = None  # a store (or why not) for the commands
        self.kept_daemon: PrivateDockerd | str | None = None

    def close(self) -> None:
        """Stop a daemon kept for the commands suite."""
        self.stack.close()

    def archive(self, images: int) -> GrowthInfo:
        """The (cached) archive of ``images`` tiny images."""
        info = generate_growth(self.out, images)
        if info not in self.archives:
            self.archives.append(info)
        return info

    def progress(self, text: str) -> None:
        """One line of progress on stdout."""
        print(f"  {text}", flush=True)

    # -- growth --------------------------------------------------------------------------

    def run_growth(self) -> None:
        """Load each archive size into dockyard and into docker, ``repeat`` times each."""
        for n in self.cfg.sizes:
            info = self.archive(n)
            row = GrowthRow(images=n, archive_bytes=info.bytes)
            self.growth.append(row)
            keep = "commands" in self.cfg.suites and n == self.cfg.store_images
            self._growth_dockyard(row, info, keep)
            self._growth_docker(row, info, keep)
            row.finish()

    def _growth_dockyard(self, row: GrowthRow, info: GrowthInfo, keep: bool) -> None:
        why = peers.dockyard_available("load", ["-i"])
        if why is not None:
            row.dockyard.status = f"unavailable ({why})"
            return
        for i in range(self.cfg.repeat):
            store = self.scratch / f"growth-{info.images}-dockyard-{i}"
            cmd = [*self.base, "--root", str(store), "load", "-i", info.path]
            try:
                sample = peers.measure(cmd, store, timeout=self.cfg.load_timeout, cold=True)
            except OpFailed as exc:
                row.dockyard.status = failure(exc)
                self.progress(f"dockyard load of {info.images:,} images: {row.dockyard.status}")
                peers.remove(store)
                if keep:  # loading it again for the commands suite would fail the same way
                    self.kept_store = _not_loaded(info.images, row.dockyard.status)
                return
            row.dockyard.samples.append(sample)
            self.progress(f"dockyard load of {info.images:,} images: {sample.seconds:.2f} s")
            if keep and i == self.cfg.repeat - 1:
                self.kept_store = store
            elif not self.cfg.keep:
                peers.remove(store)

    def _growth_docker(self, row: GrowthRow, info: GrowthInfo, keep: bool) -> None:
        if self.docker_why is not None:
            row.docker.status = self.docker_why
            return
        for i in range(self.cfg.repeat):
            with contextlib.ExitStack() as inner:
                try:
                    root = self.scratch / f"growth-{info.images}-dockerd-{i}"
                    daemon = inner.enter_context(private_dockerd(root))
                    pid = daemon_pid(daemon)
                    cmd = [daemon.docker, "load", "-i", info.path]
                    sample = peers.measure(
                        cmd, root, timeout=self.cfg.load_timeout, cold=True, env=daemon.env,
                        daemon_pid=pid,
                    )  # fmt: skip
                except Unavailable as exc:
                    self.docker_why = row.docker.status = failure(exc)
                    return
                except OpFailed as exc:
                    row.docker.status = failure(exc)
                    self.progress(f"docker load of {info.images:,} images: {row.docker.status}")
                    if keep:
                        self.kept_daemon = _not_loaded(info.images, row.docker.status)
                    return
                row.docker.samples.append(sample)
                self.progress(f"docker load of {info.images:,} images: {sample.seconds:.2f} s")
                if keep and i == self.cfg.repeat - 1:
                    self.kept_daemon = daemon
                    self.stack.push(inner.pop_all())

    # -- commands ------------------------------------------------------------------------

    def _commands_store(self, info: GrowthInfo) -> Path | str:
        """A dockyard store holding the archive, or why there is none."""
        if self.kept_store is not None:
            return self.kept_store
        store = self.scratch / "commands-dockyard"
        cmd = [*self.base, "--root", str(store), "load", "-q", "-i", info.path]
        try:
            peers.run_timed(cmd, timeout=self.cfg.load_timeout)
        except OpFailed as exc:
            return _not_loaded(info.images, failure(exc))
        return store

    def _commands_daemon(self, info: GrowthInfo) -> PrivateDockerd | str:
        """A private dockerd holding the archive, or why there is none."""
        if self.kept_daemon is not None:
            return self.kept_daemon
        if self.docker_why is not None:
            return self.docker_why
        try:
            daemon = self.stack.enter_context(private_dockerd(self.scratch / "commands-dockerd"))
        except Unavailable as exc:
            self.docker_why = failure(exc)
            return self.docker_why
        try:
            peers.run_timed(
                [daemon.docker, "load", "-q", "-i", info.path],
                timeout=self.cfg.load_timeout,
                env=daemon.env,
            )
        except OpFailed as exc:
            return _not_loaded(info.images, failure(exc))
        return daemon

    def run_commands(self) -> None:
        """Every command of `COMMANDS` on the big store, by dockyard and the docker clients."""
        n = self.cfg.store_images
        info = self.archive(n)
        self.progress(f"commands: preparing the stores of {n:,} images")
        store = self._commands_store(info)
        daemon = self._commands_daemon(info)
        if isinstance(store, Path):
            dockyard = Tool("dockyard", [*self.base, "--root", str(store)], StoreState(n))
        else:
            dockyard = Tool("dockyard", [], StoreState(n), status=store)
        if isinstance(daemon, str):
            dockers = [Tool("docker", [], StoreState(n), status=daemon)]
        else:
            dockers, notes = docker_tools(daemon, StoreState(n))
            self.notes += notes
        for command in COMMANDS:
            row = CommandRow(command=command, argv=display(command, n))
            row.dockyard.status = dockyard.status
            row.dockers = [Timing(t.name, status=t.status) for t in dockers]
            self._command_row(row, [dockyard, *dockers])
            row.finish()
            self.commands.append(row)
            self.progress(f"commands: {command}: " + ", ".join(
                f"{t.tool} {t.time_cell('.3f')}" for t in (row.dockyard, *row.dockers)
            ))  # fmt: skip

    def _command_row(self, row: CommandRow, tools: list[Tool]) -> None:
        timings = {t.tool: t for t in (row.dockyard, *row.dockers)}
        for rep in range(-1, self.cfg.command_repeat):  # -1: an untimed warm-up run per tool
            for tool in tools:
                timing = timings[tool.name]
                if timing.status != "ok":
                    continue
                planned = step(row.command, tool.state)
                try:
                    sample, output = peers.sample_command(
                        [*tool.prefix, *planned.argv], timeout=self.cfg.command_timeout,
                        env=tool.env, daemon_pid=tool.daemon_pid,
                    )  # fmt: skip
                except OpFailed as exc:
                    timing.status = failure(exc)
                    continue
                problem = planned.check(output)
                planned.apply(tool.state)
                if problem and not timing.problem:
                    timing.problem = problem
                if rep >= 0:
                    timing.samples.append(sample)

    # -- start-up ------------------------------------------------------------------------

    def run_startup(self) -> None:
        """The bare interpreter and three short dockyard commands, interleaved, warm."""
        info = self.archive(1)
        store = self.scratch / "startup-dockyard"
        cases: list[tuple[StartupRow, list[str], Callable[[str], str]]] = [
            (StartupRow("`python -c pass` (bare interpreter)", ""), [sys.executable, "-c", "pass"],
             contains("")),
            (StartupRow("`dockyard --version`", "version"), [*self.base, "--version"],
             contains("dockyard")),
            (StartupRow("`dockyard --help`", "help"), [*self.base, "--help"], contains("Usage:")),
            (StartupRow(f"`dockyard inspect {info.tag(0)}` (1-image store)", "inspect"),
             [*self.base, "--root", str(store), "inspect", info.tag(0)], inspect_check("0")),
        ]  # fmt: skip
        try:
            peers.run_timed([*self.base, "--root", str(store), "load", "-q", "-i", info.path],
                            timeout=self.cfg.load_timeout)  # fmt: skip
        except OpFailed as exc:
            cases[-1][0].timing.status = _not_loaded(1, failure(exc))
        runs = max(STARTUP_MIN_RUNS, self.cfg.command_repeat)
        for rep in range(-1, runs):  # -1: one untimed warm-up round
            for row, cmd, check in cases:
                if row.timing.status != "ok":
                    continue
                try:
                    sample, output = peers.sample_command(cmd, timeout=self.cfg.command_timeout)
                except OpFailed as exc:
                    row.timing.status = failure(exc)
                    continue
                row.timing.problem = row.timing.problem or check(output)
                if rep >= 0:
                    row.timing.samples.append(sample)
        bare = cases[0][0]
        bare.finish(None)
        for row, _cmd, _check in cases:
            if row is not bare:
                row.finish(bare.timing)
            self.startup.append(row)

    # -- report --------------------------------------------------------------------------

    def render(self) -> str:
        """The markdown tables of every suite that ran, with their notes."""
        parts: list[str] = []
        if self.growth:
            parts += ["### Load growth (N tiny images sharing one layer)", "",
                      growth_table(self.growth), "", "### Cost per image", "",
                      cost_table(self.growth), ""]  # fmt: skip
            for tool in ("dockyard", "docker"):
                parts.append(f"* {tool}: {linearity(self.growth, tool)}")
            parts.append("")
        if self.commands:
            parts += [f"### Commands on a {self.cfg.store_images:,}-image store", "",
                      commands_table(self.commands, self.cfg.store_images), ""]  # fmt: skip
        if self.startup:
            parts += ["### Start-up", "", startup_table(self.startup), ""]
        parts += [f"* {note}" for note in self.notes]
        return "\n".join(parts).rstrip()

    def results(self) -> dict[str, object]:
        """Everything measured, for ``results.json``."""
        return {
            "growth_archives": [asdict(a) for a in self.archives],
            "growth": [asdict(r) for r in self.growth],
            "commands": [asdict(r) for r in self.commands],
            "startup": [asdict(r) for r in self.startup],
            "notes": self.notes,
        }
