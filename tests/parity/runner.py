"""Run the parity scenario against Docker and dockyard and compare what each printed.

A *side* is one program: a Docker client talking to a private dockerd, or dockyard on a
private store. Every side runs in its own working directory holding the same input files,
so that relative paths (``-o out.tar``, ``-i base.tar``) read the same in both outputs.
Each step runs on the reference Docker client and on dockyard; read-only steps also run
on the other Docker clients found (Docker 20.10), which are compared with the reference
to record where the two Docker versions differ.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from tests.parity.deviations import DEVIATIONS, GLOBAL, Output, normalise

__all__ = [
    "Outcome",
    "Side",
    "Step",
    "compare",
    "docker_clients",
]

#: Time bound of one command (the whole suite stays well under three minutes).
COMMAND_TIMEOUT = 60.0


@dataclass(frozen=True)
class Step:
    """One command of the scenario, run the same way on every side.

    Args:
        argv: the arguments after the program name.
        stdin: a file of the working directory fed as standard input, or ``None``.
        docker: the arguments Docker needs when it spells the command differently.
        dockyard: the arguments dockyard needs (e.g. ``--api 1.41`` for a 20.10 daemon).
        allow: the deviations (IDs of ``docs/parity.md``'s table) this step may show.
        mutates: the step changes the store (run on the reference Docker client only).
        v20: Docker 20.10's client prints something else than Docker 28's here.
        setup: Docker-only commands run (not compared) before the step.
        teardown: Docker-only commands run (not compared) after the step.
        check: a file the step writes whose contents are compared too (``tar:NAME``:
            the member names of an archive, ``text:NAME``: the text).
    """

    argv: tuple[str, ...]
    stdin: str | None = None
    docker: tuple[str, ...] | None = None
    dockyard: tuple[str, ...] | None = None
    allow: tuple[str, ...] = ()
    mutates: bool = False
    v20: bool = False
    setup: tuple[tuple[str, ...], ...] = ()
    teardown: tuple[tuple[str, ...], ...] = ()
    check: str | None = None

    @property
    def title(self) -> str:
        """The command as typed (for reports)."""
        text = " ".join(_quote(a) for a in self.argv)
        return text + (f" < {self.stdin}" if self.stdin else "")


def _quote(arg: str) -> str:
    return arg if arg and re.fullmatch(r"[\w@%+=:,./{}-]+", arg) and "{{" not in arg \
        else "'" + arg.replace("'", "'\\''") + "'"


@dataclass
class Side:
    """One program the steps run on.

    Args:
        name: ``docker-28.2.2``, ``dockyard``, …
        command: the program and its leading arguments.
        env: the environment of every run.
        cwd: the working directory (holds the input files).
    """

    name: str
    command: Sequence[str]
    env: Mapping[str, str]
    cwd: Path

    def run(self, argv: Sequence[str], stdin: str | None = None) -> Output:
        """Run one command and return what it printed (UTF-8, undecodable bytes escaped)."""
        source = open(self.cwd / stdin, "rb") if stdin else None  # noqa: SIM115
        try:
            proc = subprocess.run(
                [*self.command, *argv],
                stdin=source if source is not None else subprocess.DEVNULL,
                capture_output=True,
                env=dict(self.env),
                cwd=self.cwd,
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        finally:
            if source is not None:
                source.close()
        return Output(
            proc.stdout.decode("utf-8", "surrogateescape"),
            proc.stderr.decode("utf-8", "surrogateescape"),
            proc.returncode,
        )

    def checked(self, check: str | None) -> str:
        """The contents a step's ``check`` names, read on this side (and removed)."""
        if check is None:
            return ""
        kind, _, name = check.partition(":")
        path = self.cwd / name
        if not path.exists():
            return "<missing>"
        try:
            if kind == "tar":
                with tarfile.open(path) as archive:
                    return "\n".join(sorted(m.name.rstrip("/") for m in archive)) + "\n"
            return path.read_text()
        except (OSError, tarfile.TarError) as exc:
            return f"<unreadable: {exc}>"
        finally:
            path.unlink()


@dataclass
class Outcome:
    """What one step printed on each side, and what differed."""

    step: Step
    docker: Output
    dockyard: Output
    problems: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    def report(self) -> str:
        """A readable account of the difference."""
        lines = [f"$ {self.step.title}"]
        lines += [f"  {p}" for p in self.problems]
        for name, out in (("docker", self.docker), ("dockyard", self.dockyard)):
            lines.append(f"  --- {name} (exit {out.code}) stdout:")
            lines += [f"    |{line}" for line in out.stdout.splitlines()[:40]]
            lines.append(f"  --- {name} stderr:")
            lines += [f"    |{line}" for line in out.stderr.splitlines()[:20]]
        return "\n".join(lines)


def _differences(docker: Output, dockyard: Output) -> list[str]:
    found = []
    if docker.stdout != dockyard.stdout:
        found.append("stdout differs")
    if docker.stderr != dockyard.stderr:
        found.append("stderr differs")
    if docker.code != dockyard.code:
        found.append(f"exit status differs: docker {docker.code}, dockyard {dockyard.code}")
    return found


def compare(step: Step, docker: Output, dockyard: Output, ids: Mapping[str, str]) -> Outcome:
    """Compare one step's outputs after the normalisations and the step's deviations.

    A step-specific deviation must be needed: one that changes nothing is reported, so
    that the table never lists a difference that is gone.
    """
    left, right = normalise(docker, dockyard, GLOBAL, ids)
    outcome = Outcome(step, left, right)
    for key in step.allow:
        deviation = DEVIATIONS.get(key)
        if deviation is None:
            outcome.problems.append(f"unknown deviation {key!r}")
            continue
        new_left, new_right = deviation.apply(left, right)
        unneeded = (new_left, new_right) == (left, right) or not _differences(left, right)
        if unneeded and not deviation.random:
            outcome.problems.append(f"deviation {key!r} is listed but changes nothing")
        else:
            outcome.used.add(key)
        left, right = new_left, new_right
    outcome.problems += _differences(left, right)
    outcome.docker, outcome.dockyard = left, right
    return outcome


def client_version(path: str) -> str | None:
    """The version a ``docker`` client reports (``28.2.2``), without asking a daemon."""
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"version (\d+\.\d+\.\d+)", proc.stdout)
    return found.group(1) if found else None


def docker_clients(find: Callable[[str], str | None]) -> list[tuple[str, str]]:
    """Every distinct Docker client installed, ``(version, path)``, newest first.

    ``$DOCKYARD_PARITY_DOCKER`` (a path) is taken as the reference when set.
    """
    candidates = [os.environ.get("DOCKYARD_PARITY_DOCKER", ""), find("docker") or "",
                  "/usr/local/bin/docker", "/usr/bin/docker"]
    seen: dict[str, tuple[str, str]] = {}
    for path in candidates:
        if not path or not os.access(path, os.X_OK):
            continue
        real = os.path.realpath(path)
        version = client_version(path)
        if version and real not in seen:
            seen[real] = (version, path)
    found = list(seen.values())
    forced = os.environ.get("DOCKYARD_PARITY_DOCKER")
    found.sort(key=lambda item: (item[1] != forced, [-int(p) for p in item[0].split(".")]))
    return found


def dockyard_command() -> list[str]:
    """How the parity suite runs dockyard: this interpreter, ``-m dockyard``."""
    return [sys.executable, "-m", "dockyard"]


def with_ids(step: Step, docker: Output, dockyard: Output, ids: dict[str, str]) -> None:
    """Learn the image IDs an ``import`` printed (they depend on the time of the import)."""
    if step.argv[:1] not in (("import",), ("image",)) or "import" not in step.argv[:2]:
        return
    left, right = docker.stdout.strip(), dockyard.stdout.strip()
    if re.fullmatch(r"sha256:[0-9a-f]{64}", left) and re.fullmatch(r"sha256:[0-9a-f]{64}",
                                                                    right):
        ids[right.removeprefix("sha256:")] = left.removeprefix("sha256:")


def strip_step(step: Step) -> Step:
    """The step without its Docker-only parts (for reports)."""
    return replace(step, setup=(), teardown=())
