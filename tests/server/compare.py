"""Running the same client steps against dockerd and dockyard, and what may differ."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.server.helpers import ORACLE_20

_AGO = re.compile(
    r"(Less than a second|About an? \w+|\d+ (?:second|minute|hour|day|week|month|year)s?) ago"
)
_PATHS = re.compile(r"/tmp/[\w./-]+")


def normalise_text(text: str) -> str:
    """Relative times, column padding and temporary paths made comparable."""
    text = _AGO.sub("<ago>", text)
    text = _PATHS.sub("<tmp>", text)
    return "\n".join(re.sub(r" {2,}", "  ", line).rstrip() for line in text.split("\n"))


#: Wording of dockerd 20.10 that dockerd 28 (and dockyard, which answers as 28 does)
#: changed: ``docs/engine-api.md`` lists them.
DOCKERD_20_WORDING = [
    (re.compile(r"Invalid filter '"), "invalid filter '"),
    (re.compile(r"no such image: [^:\n]+(?::[^:\n]+)?: (No such image|invalid reference)"), r"\1"),
    (
        re.compile(r"repository name must be lowercase"),
        "repository name (<name>) must be lowercase",
    ),
    (
        re.compile(r"repository name \(\w+\) must be lowercase"),
        "repository name (<name>) must be lowercase",
    ),
]


def normalise_wording(text: str) -> str:
    """dockerd 20.10's and 28's wordings of the same errors made equal."""
    for pattern, replacement in DOCKERD_20_WORDING:
        text = pattern.sub(replacement, text)
    return text


def normalise_inspect(objects: Any) -> Any:
    """Inspect output as data, without what depends on the daemon.

    Dropped: ``GraphDriver``, ``Metadata.LastTagTime``, an empty ``Container`` (dockerd 28
    omits it) and ``Config.Image`` (dockerd 28 answers API < 1.50 from the OCI config,
    which has no ``Image``, and shows ``""``).
    """
    for obj in objects if isinstance(objects, list) else [objects]:
        if isinstance(obj, dict):
            obj.pop("GraphDriver", None)
            obj.get("Metadata", {}).pop("LastTagTime", None)
            if obj.get("Container") == "":
                del obj["Container"]
            if isinstance(obj.get("Config"), dict):
                obj["Config"].pop("Image", None)
    return objects


def oracle(name: str) -> Path:
    """An archive of the Docker 20.10 oracle."""
    return ORACLE_20 / f"{name}.tar"


#: The CLI steps compared (arguments after ``docker``; ``{tmp}`` is a scratch directory).
CLI_STEPS: list[list[str]] = [
    ["load", "-i", "{base}"], ["load", "-i", "{app}"], ["load", "-i", "{untagged}"],
    ["load", "-i", "{multi}"],
    ["images"], ["images", "-a"], ["images", "--digests"], ["images", "-q"],
    ["images", "-f", "dangling=true"], ["images", "-f", "reference=oracle/*"],
    ["images", "oracle/base"], ["images", "-f", "label=org.example.role=app"],
    ["images", "-f", "bogus=1"], ["images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}"],
    ["image", "inspect", "oracle/app:1"], ["image", "inspect", "oracle/base:1", "nosuch:2"],
    ["image", "inspect", "--format", "{{.Id}} {{.Config.Cmd}} {{.Os}}", "oracle/base:1"],
    ["inspect", "nosuch/image:1"], ["image", "inspect", "Oracle/Base:1"],
    ["history", "oracle/app:1"], ["history", "--no-trunc", "oracle/base:1"],
    ["history", "nosuch/image:1"],
    ["tag", "oracle/base:1", "oracle/base:retag"], ["tag", "nosuch:1", "x/y:z"],
    ["images", "oracle/base"], ["rmi", "oracle/base:retag"], ["rmi", "nosuch/image:1"],
    ["rmi", "Oracle/Base:1"],
    ["save", "-o", "{tmp}/save.tar", "nosuch/image:1"],
    ["save", "-o", "{tmp}/save.tar", "Oracle/Base:1"],
    ["system", "df"], ["system", "df", "-v"],
    ["image", "prune", "-f"], ["images", "-a"],
    ["image", "prune", "-a", "-f"], ["images", "-a"],
]  # fmt: skip
#: Steps whose output lines come in Go's random map order (prune).
UNORDERED = {
    ("image", "prune", "-f"),
    ("image", "prune", "-a", "-f"),
}


def run_steps(
    docker: str, env: Mapping[str, str], tmp: Path, steps: Sequence[list[str]] = CLI_STEPS
) -> list[tuple[str, int, str, str]]:
    """Run each step; return ``(step, exit code, stdout, stderr)``, normalised."""
    files = {name: str(oracle(name)) for name in ("base", "app", "untagged", "multi")}
    results = []
    for step in steps:
        args = [a.format(tmp=tmp, **files) for a in step]
        proc = subprocess.run([docker, *args], capture_output=True, env=dict(env), timeout=300,
                              check=False, stdin=subprocess.DEVNULL)  # fmt: skip
        out, err = proc.stdout.decode(), proc.stderr.decode()
        if args[:2] == ["image", "inspect"] and "--format" not in args:
            out = json.dumps(normalise_inspect(json.loads(out)), sort_keys=True, indent=1)
        out, err = normalise_text(out), normalise_wording(normalise_text(err))
        if tuple(step) in UNORDERED:
            out = "\n".join(sorted(out.split("\n")))
        results.append((" ".join(step), proc.returncode, out, err))
    return results
