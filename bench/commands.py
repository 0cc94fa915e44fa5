"""The commands timed on a big store, what each should print, and who runs them.

Every tool (the dockyard CLI, each docker client) works on a store whose state is tracked
here: how many tags and images it holds, which tag the next ``tag`` creates and which image
the next ``rmi`` removes (a different one each run, counting down from the last). Each run's
output is checked against that state, so a command that is fast but wrong is reported.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bench import peers
from bench.daemon import daemon_pid
from bench.gengrowth import REPO
from bench.peers import OpFailed

if TYPE_CHECKING:
    from tests.compat.dockerd import PrivateDockerd

COMMANDS = ("images", "images -q", "image inspect", "tag", "rmi", "history", "system df")
TAG_REPO = "growth/tagged"


@dataclass
class StoreState:
    """What a store holds right now, as far as the commands run on it changed it."""

    images: int
    rows: int = 0  # tags, i.e. rows of `images`
    next_tag: int = 0
    next_rmi: int = 0
    subject: int = 0  # the image inspected, tagged and whose history is shown

    def __post_init__(self) -> None:
        self.rows = self.images
        self.next_rmi = self.images - 1
        self.subject = self.images // 2


@dataclass
class Tool:
    """A command-line tool run against one store (docker clients share their daemon's)."""

    name: str
    prefix: list[str]
    state: StoreState
    env: dict[str, str] | None = None
    daemon_pid: int | None = None
    status: str = "ok"


@dataclass
class Step:
    """One planned run: its arguments, how to check its output, how it changes the store."""

    argv: list[str]
    check: Callable[[str], str]
    apply: Callable[[StoreState], None] = field(default=lambda _state: None)


def display(command: str, images: int) -> list[str]:
    """The arguments of ``command`` as shown in the table (``<i>`` changes every run)."""
    subject = f"{REPO}:{images // 2}"
    shown = {
        "image inspect": ["image", "inspect", subject],
        "tag": ["tag", subject, f"{TAG_REPO}:<i>"],
        "rmi": ["rmi", f"{REPO}:<i>"],
        "history": ["history", subject],
    }
    return shown.get(command, command.split())


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def _count(want: int, what: str) -> Callable[[str], str]:
    def check(output: str) -> str:
        got = len(_lines(output))
        return "" if got == want else f"{got} {what}, expected {want}"

    return check


def inspect_check(label: str) -> Callable[[str], str]:
    """A check that ``image inspect`` printed one image whose label ``n`` is ``label``."""

    def check(output: str) -> str:
        try:
            doc = json.loads(output)
            got = doc[0]["Config"]["Labels"]["n"] if len(doc) == 1 else f"{len(doc)} objects"
        except (ValueError, LookupError, TypeError) as exc:
            return f"not the expected JSON ({type(exc).__name__})"
        return "" if got == label else f"label n={got!r}, expected {label!r}"

    return check


def _history(output: str) -> str:
    got = len(_lines(output))
    return "" if got >= 3 else f"{got} lines, expected a header and two history entries"


def _df(images: int) -> Callable[[str], str]:
    def check(output: str) -> str:
        for line in _lines(output):
            fields = line.split()
            if fields[0] == "Images" and len(fields) > 1:
                return "" if fields[1] == str(images) else f"{fields[1]} images, expected {images}"
        return "no `Images` line"

    return check


def contains(text: str) -> Callable[[str], str]:
    """A check that the output contains ``text``."""
    return lambda output: "" if text in output else f"no {text!r} in the output"


def _silent(output: str) -> str:
    return "" if not output.strip() else f"unexpected output {output.strip()[:60]!r}"


def _rmi(ref: str) -> Callable[[str], str]:
    def check(output: str) -> str:
        ok = f"Untagged: {ref}" in output and "Deleted: sha256:" in output
        return "" if ok else f"no `Untagged: {ref}` and `Deleted:` lines"

    return check


def _tagged(state: StoreState) -> None:
    state.next_tag += 1
    state.rows += 1


def _removed(state: StoreState) -> None:
    state.next_rmi -= 1
    state.rows -= 1
    state.images -= 1


def step(command: str, state: StoreState) -> Step:
    """Plan the next run of ``command`` on a store in ``state``.

    Raises:
        ValueError: ``command`` is not one of `COMMANDS`.
    """
    subject = f"{REPO}:{state.subject}"
    if command == "images":
        return Step(["images"], _count(state.rows + 1, "lines (header + one per tag)"))
    if command == "images -q":
        return Step(["images", "-q"], _count(state.rows, "IDs"))
    if command == "image inspect":
        return Step(["image", "inspect", subject], inspect_check(str(state.subject)))
    if command == "tag":
        return Step(["tag", subject, f"{TAG_REPO}:{state.next_tag}"], _silent, _tagged)
    if command == "rmi":
        ref = f"{REPO}:{state.next_rmi}"
        return Step(["rmi", ref], _rmi(ref), _removed)
    if command == "history":
        return Step(["history", subject], _history)
    if command == "system df":
        return Step(["system", "df"], _df(state.images))
    raise ValueError(f"unknown command {command!r}")


def _client_version(path: str) -> str:
    """``28.2.2`` from ``Docker version 28.2.2, build …`` (empty if it cannot be read)."""
    try:
        _, _, out = peers.run_timed([path, "--version"], timeout=30)
    except OpFailed:
        return ""
    words = out.replace(",", " ").split()
    return words[2] if len(words) > 2 and words[:2] == ["Docker", "version"] else ""


def docker_tools(daemon: PrivateDockerd, state: StoreState) -> tuple[list[Tool], list[str]]:
    """Every docker client that talks to ``daemon`` over its socket (``-H unix://…``).

    The client installed with the daemon comes first; whichever ``docker`` comes first on
    PATH is added when it is another binary. A client that cannot talk to the daemon (for
    example one too new to negotiate the daemon's API version) is returned with its reason.

    Returns:
        The tools (sharing ``state``: they work on the same daemon) and notes for the report.
    """
    env = {k: v for k, v in daemon.env.items() if k != "DOCKER_HOST"}
    pid = daemon_pid(daemon)
    paths: list[str] = []
    for path in (daemon.docker, shutil.which("docker")):
        if path and os.path.realpath(path) not in {os.path.realpath(p) for p in paths}:
            paths.append(path)
    tools: list[Tool] = []
    notes: list[str] = []
    fmt = "{{.Client.Version}} {{.Client.APIVersion}} {{.Server.Version}} {{.Server.APIVersion}}"
    for path in paths:
        version = _client_version(path) or "?"
        name = f"docker {'.'.join(version.split('.')[:2])}"
        if any(t.name == name for t in tools):
            name = f"docker {version}"
        tool = Tool(name, [path, "-H", daemon.host], state, env, pid)
        try:
            _, _, out = peers.run_timed([*tool.prefix, "version", "--format", fmt], timeout=30,
                                        env=env)  # fmt: skip
        except OpFailed as exc:
            tool.status = f"unavailable (cannot talk to the daemon: {exc})"
            notes.append(f"{name} client ({path}): {tool.status}")
        else:
            words = out.split()
            if len(words) == 4:
                notes.append(
                    f"{name} client ({path}, version {words[0]}) uses API {words[1]} with the "
                    f"daemon (version {words[2]}, API {words[3]})"
                )
        tools.append(tool)
    return tools, notes
