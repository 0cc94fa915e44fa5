"""One run of the scenario: the working directories, the sides, the results.

``python -m tests.parity`` runs it outside pytest and prints every difference (root and
dockerd needed, as for the test).
"""

from __future__ import annotations

import io
import shutil
import tarfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.compat.dockerd import PrivateDockerd, find_tool
from tests.oracle.util import find_oracle
from tests.parity.deviations import DEVIATIONS, Output
from tests.parity.runner import (
    Outcome,
    Side,
    Step,
    compare,
    docker_clients,
    dockyard_command,
    with_ids,
)

__all__ = ["ORACLE", "Report", "Session", "inputs"]

ORACLE = find_oracle() / "docker-28.3"  # $DOCKYARD_ORACLE, else ../shared/oracle
ARCHIVES = ("base", "app", "scratch", "untagged", "multi")


def _rootfs() -> bytes:
    """A small root filesystem tarball for ``import`` (fixed times, so fixed bytes)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in (("bin/", None), ("bin/hello", b"#!/bin/sh\necho hello\n"),
                           ("etc/", None), ("etc/motd", b"parity\n")):
            info = tarfile.TarInfo(name.rstrip("/"))
            info.mtime = 1_700_000_000
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                archive.addfile(info)
            else:
                info.size, info.mode = len(data), 0o755
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _empty_tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w"):
        pass
    return buffer.getvalue()


def inputs(directory: Path) -> None:
    """Put the scenario's input files in a side's working directory."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ARCHIVES:
        (directory / f"{name}.tar").symlink_to((ORACLE / f"{name}.tar").resolve())
    (directory / "rootfs.tar").write_bytes(_rootfs())
    (directory / "empty.tar").write_bytes(_empty_tar())
    (directory / "garbage.txt").write_text("this is not an archive\n")
    (directory / "no.txt").write_text("n\n")
    (directory / "yes.txt").write_text("y\n")
    (directory / "adir").mkdir()


@dataclass
class Report:
    """Everything a run found."""

    reference: str
    others: list[str]
    outcomes: list[Outcome] = field(default_factory=list)
    v20_differs: list[str] = field(default_factory=list)
    v20_marked_same: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failures(self) -> list[Outcome]:
        """The steps that differ beyond the documented deviations."""
        return [o for o in self.outcomes if o.problems]

    @property
    def used(self) -> set[str]:
        """The step-specific deviations some step needed."""
        return set().union(*(o.used for o in self.outcomes)) if self.outcomes else set()


class Session:
    """The sides of one run: the reference Docker client, other clients, dockyard.

    Args:
        daemon: the running private dockerd.
        workdir: an empty directory for the sides' working directories and dockyard's store.
        clients: ``(version, path)`` of the Docker clients, reference first.
    """

    def __init__(self, daemon: PrivateDockerd, workdir: Path,
                 clients: Sequence[tuple[str, str]]) -> None:
        self.daemon = daemon
        env = dict(daemon.env)
        self.docker: list[Side] = []
        for version, path in clients:
            cwd = workdir / f"docker-{version}"
            inputs(cwd)
            self.docker.append(Side(f"docker {version}", [path], env, cwd))
        cwd = workdir / "dockyard"
        inputs(cwd)
        (workdir / "home").mkdir()
        dockyard_env = {
            "PATH": env["PATH"], "HOME": str(workdir / "home"), "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8", "TZ": "UTC", "DOCKYARD_ROOT": str(workdir / "store"),
        }
        self.dockyard = Side("dockyard", dockyard_command(), dockyard_env, cwd)
        self.ids: dict[str, str] = {}

    @classmethod
    def clients(cls) -> list[tuple[str, str]]:
        """The installed Docker clients, newest (the reference) first."""
        return docker_clients(find_tool)

    def run(self, steps: Iterable[Step]) -> Report:
        """Run every step on every side and compare."""
        reference, *others = self.docker
        report = Report(reference.name, [o.name for o in others])
        started = time.monotonic()
        for step in steps:
            for command in step.setup:
                reference.run(command)
            docker = reference.run(step.docker or step.argv, step.stdin)
            docker_file = reference.checked(step.check)
            for command in step.teardown:
                reference.run(command)
            mine = self.dockyard.run(step.dockyard or step.argv, step.stdin)
            mine_file = self.dockyard.checked(step.check)
            with_ids(step, docker, mine, self.ids)
            outcome = compare(step, _with(docker, docker_file), _with(mine, mine_file),
                              self.ids)
            report.outcomes.append(outcome)
            if not step.mutates and not step.setup and not _random(step):
                self._versions(step, docker, docker_file, others, report)
        report.seconds = time.monotonic() - started
        return report

    def _versions(self, step: Step, docker: Output, docker_file: str, others: list[Side],
                  report: Report) -> None:
        """Compare the other Docker clients with the reference on a read-only step."""
        for side in others:
            output = side.run(step.docker or step.argv, step.stdin)
            same = _with(output, side.checked(step.check)) == _with(docker, docker_file)
            if not same and not step.v20:
                report.v20_differs.append(step.title)
            if same and step.v20:
                report.v20_marked_same.append(step.title)


def _random(step: Step) -> bool:
    """Whether the step's output may change from run to run (Docker's random orders)."""
    return any(DEVIATIONS[key].random for key in step.allow if key in DEVIATIONS)


def _with(output: Output, file_text: str) -> Output:
    """The output with a checked file's contents appended to stdout."""
    if not file_text:
        return output
    return output._replace(stdout=output.stdout + "--- file ---\n" + file_text)


def cleanup(workdir: Path) -> None:
    """Remove a run's directories."""
    shutil.rmtree(workdir, ignore_errors=True)
