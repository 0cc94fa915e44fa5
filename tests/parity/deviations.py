"""Every deliberate difference between Docker and dockyard, as code.

Each :class:`Deviation` is one row of the table in ``docs/parity.md`` (same ID): a
transformation of the two outputs that removes exactly that difference. ``GLOBAL`` ones
apply to every step (normalisations of what legitimately differs everywhere); the others
apply only to the steps that list them. ``test_parity`` checks that this registry and the
table hold the same IDs, so no difference can be tolerated without being documented.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

__all__ = ["DEVIATIONS", "GLOBAL", "Deviation", "Output", "documented_ids", "normalise"]

DOC = Path(__file__).resolve().parents[2] / "docs" / "parity.md"


class Output(NamedTuple):
    """What one command printed, and its exit status."""

    stdout: str
    stderr: str
    code: int


Transform = Callable[[Output, Output], tuple[Output, Output]]


@dataclass(frozen=True)
class Deviation:
    """One documented difference and how the comparison removes it."""

    id: str
    apply: Transform
    random: bool = False  # the difference comes and goes (Docker's order is random)


def _on_docker(func: Callable[[str], str], *, stdout: bool = True, stderr: bool = True,
               ) -> Transform:
    def apply(docker: Output, dockyard: Output) -> tuple[Output, Output]:
        return Output(func(docker.stdout) if stdout else docker.stdout,
                      func(docker.stderr) if stderr else docker.stderr, docker.code), dockyard

    return apply


def _on_both(func: Callable[[str], str]) -> Transform:
    def apply(docker: Output, dockyard: Output) -> tuple[Output, Output]:
        return (Output(func(docker.stdout), func(docker.stderr), docker.code),
                Output(func(dockyard.stdout), func(dockyard.stderr), dockyard.code))

    return apply


def _sub(pattern: str, replacement: str, flags: int = re.MULTILINE) -> Callable[[str], str]:
    compiled = re.compile(pattern, flags)
    return lambda text: compiled.sub(replacement, text)


def _docker_says(docker_text: str, dockyard_text: str) -> Transform:
    """Docker's stderr reads ``docker_text`` where dockyard's reads ``dockyard_text``."""

    def apply(docker: Output, dockyard: Output) -> tuple[Output, Output]:
        return docker._replace(stderr=docker.stderr.replace(docker_text, dockyard_text)), \
            dockyard

    return apply


def _docker_exit(old: int, new: int) -> Transform:
    def apply(docker: Output, dockyard: Output) -> tuple[Output, Output]:
        return docker._replace(code=new if docker.code == old else docker.code), dockyard

    return apply


def _chain(*transforms: Transform) -> Transform:
    def apply(docker: Output, dockyard: Output) -> tuple[Output, Output]:
        for transform in transforms:
            docker, dockyard = transform(docker, dockyard)
        return docker, dockyard

    return apply


_AGO = (r"(?:Less than a second|About a minute|About an hour|\d+ (?:second|minute|hour|day|"
        r"week|month|year)s?) ago")

_PROGRESS = re.compile(r"^[A-Z][a-z]+ [^\n]*: [\d.]+[kMGT]?B(?:/[\d.]+[kMGT]?B \(\d+%\))?"
                       r"(?: done)?\n", re.MULTILINE)

_CONTAINER_FILES = re.compile(
    r"^(?:\.dockerenv|dev|dev/\S+|etc/(?:hostname|hosts|mtab|resolv\.conf)|proc|sys)\n",
    re.MULTILINE)


def _program_name(text: str) -> str:
    text = re.sub(r"^docker: 'docker ", "dockyard: 'dockyard ", text, flags=re.MULTILINE)
    text = re.sub(r"(?<=['\"])docker (?=[a-z])", "dockyard ", text)
    return re.sub(r"^Usage:  docker ", "Usage:  dockyard ", text, flags=re.MULTILINE)


def _dockyard_stderr(func: Callable[[str], str]) -> Transform:
    def apply(docker: Output, dockyard: Output) -> tuple[Output, Output]:
        return docker, dockyard._replace(stderr=func(dockyard.stderr))

    return apply


def _docker_to_dockyard(func: Callable[[Output, Output], Output]) -> Transform:
    """Replace Docker's output by ``func(docker, dockyard)``."""
    return lambda docker, dockyard: (func(docker, dockyard), dockyard)


def _lowercase_detail(docker: Output, dockyard: Output) -> tuple[Output, Output]:
    """The 20.10 daemon leaves out the offending name; Docker 28 names it."""
    if "repository name must be lowercase" in docker.stderr:
        dockyard = dockyard._replace(stderr=re.sub(
            r"repository name \([^)]*\) must be lowercase",
            "repository name must be lowercase", dockyard.stderr))
    return docker, dockyard


def _sorted_rows(docker: Output, dockyard: Output) -> tuple[Output, Output]:
    def rows(text: str) -> str:
        head, *body = text.splitlines(keepends=True)
        return head + "".join(sorted(body)) if body else text

    return docker._replace(stdout=rows(docker.stdout)), \
        dockyard._replace(stdout=rows(dockyard.stdout))


def _until_unknown(docker: Output, dockyard: Output) -> Output:
    if docker.code == 1 and docker.stderr == "Error: invalid filter 'until'\n":
        return dockyard
    return docker


#: Every deviation by ID (the IDs of the table in ``docs/parity.md``).
DEVIATIONS: dict[str, Deviation] = {d.id: d for d in (
    # -- applied to every step: what legitimately differs everywhere ---------------------
    Deviation("program-name", _on_docker(_program_name)),
    Deviation("daemon-prefix", _on_docker(_sub(r"^Error response from daemon: ", "Error: "),
                                          stdout=False)),
    Deviation("relative-time", _on_both(_sub(_AGO + r"( {2,})?", "<ago>  ", 0))),
    Deviation("imported-ids", lambda docker, dockyard: (docker, dockyard)),
    # -- applied to every step: the private daemon is Docker 20.10, dockyard follows 28 --
    Deviation("not-found-20.10", _on_docker(_sub(
        r"^Error: no such image: [^\n]*?: (?=No such image|invalid reference)", "Error: "),
        stdout=False)),
    Deviation("lowercase-20.10", _lowercase_detail),
    Deviation("invalid-filter-20.10", _on_docker(_sub(r"^Error: Invalid filter '", "Error: "
                                                      "invalid filter '"), stdout=False)),
    Deviation("load-error-20.10", _on_docker(_sub(
        r"^Error processing tar file\(exit status 1\): ", ""), stdout=False)),
    Deviation("import-error-20.10", _on_docker(_sub(
        r"^Error: ApplyLayer exit status 1 stdout: {2}stderr: ", "Error: "), stdout=False)),
    # -- step-specific -------------------------------------------------------------------
    Deviation("images-until-20.10", _docker_to_dockyard(lambda d, y: _until_unknown(d, y))),
    Deviation("inspect-graph-driver", _on_docker(_sub(
        r'("GraphDriver": ?\{\s*"Data": ?null,\s*"Name": ?)"vfs"', r'\1"dockyard"', 0),
        stderr=False)),
    Deviation("progress-lines", _dockyard_stderr(lambda text: _PROGRESS.sub("", text))),
    Deviation("export-container-files", _on_docker(lambda text: _CONTAINER_FILES.sub("", text),
                                                   stderr=False)),
    Deviation("export-takes-an-image", _chain(
        _docker_says("Error: No such container: nosuch", "Error: No such image: nosuch:latest"),
        _docker_says("[OPTIONS] CONTAINER", "[OPTIONS] IMAGE"),
        _docker_says("failed to export container:", "failed to export image:"))),
    Deviation("load-temp-path", _on_docker(_sub(r"^open /\S*/repositories:", "open repositories:"),
                                           stdout=False)),
    Deviation("usage-typo-28", _on_docker(_sub(r"^SRun '", "Run '"), stdout=False)),
    Deviation("empty-name", _docker_says("Error: page not found",
                                         "Error: invalid reference format")),
    Deviation("save-unknown-20.10", _docker_says("Error: No such image: nosuch",
                                                 "Error: reference does not exist")),
    Deviation("recent-times", _on_both(_sub(r"(?<=\S) {2,}", "   ")), random=True),
    Deviation("prune-order", _sorted_rows, random=True),
    Deviation("same-second-order", _sorted_rows, random=True),
    Deviation("repo-order", _sorted_rows, random=True),
)}

#: Applied to every step before the comparison (never reported as unneeded).
GLOBAL = ("program-name", "daemon-prefix", "relative-time", "imported-ids", "not-found-20.10",
          "lowercase-20.10", "invalid-filter-20.10", "load-error-20.10", "import-error-20.10")


def _imported_ids(ids: Mapping[str, str]) -> Transform:
    def swap(text: str) -> str:
        for mine, theirs in ids.items():
            text = text.replace(mine, theirs).replace(mine[:12], theirs[:12])
        return text

    def apply(docker: Output, dockyard: Output) -> tuple[Output, Output]:
        return docker, Output(swap(dockyard.stdout), swap(dockyard.stderr), dockyard.code)

    return apply


def normalise(docker: Output, dockyard: Output, keys: tuple[str, ...],
              ids: Mapping[str, str]) -> tuple[Output, Output]:
    """Apply the global normalisations and the imported-image ID mapping."""
    for key in keys:
        docker, dockyard = DEVIATIONS[key].apply(docker, dockyard)
    if ids:
        docker, dockyard = _imported_ids(ids)(docker, dockyard)
    return docker, dockyard


def documented_ids(text: str | None = None) -> list[str]:
    """The IDs in the first column of the deviations table of ``docs/parity.md``."""
    if text is None:
        text = DOC.read_text(encoding="utf-8")
    return re.findall(r"^\| `([a-z0-9.-]+)` \|", text, flags=re.MULTILINE)
