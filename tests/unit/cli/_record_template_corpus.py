"""Record what the real Docker CLI prints for the templates of the template corpus.

Not a test: run it by hand, as root, with a docker 28.x client and a private dockerd
holding the oracle images (``../shared/oracle/docker-20.10/multi.tar``, ``app.tar``,
``untagged.tar``), from the repository root::

    DOCKER_HOST=unix:///tmp/dy/docker.sock python -m tests.unit.cli._record_template_corpus

It writes ``template_corpus.json`` next to itself: the data each Docker formatter ran
on (``docker images -a --format '{{json .}}'``, ``docker history --format '{{json .}}'``,
the raw ``docker image inspect`` objects) and, for every template, Docker's stdout,
stderr and exit code.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.unit.cli._template_corpus_cases import HISTORY, IMAGE, INSPECT, INSPECT_TARGETS

OUT = Path(__file__).with_name("template_corpus.json")
HISTORY_IMAGE = "oracle/app:1"


def docker(*args: str) -> tuple[str, str, int]:
    env = dict(os.environ, LANG="C.UTF-8", TZ="UTC")
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, env=env,
                          check=False)
    return proc.stdout, proc.stderr, proc.returncode


def lines_json(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines() if line]


def main() -> None:
    version, _, _ = docker("version", "--format", "{{.Client.Version}} {{.Server.Version}}")
    recorded_at = time.time()
    images, _, _ = docker("images", "-a", "--format", "{{json .}}")
    history, _, _ = docker("history", HISTORY_IMAGE, "--format", "{{json .}}")
    inspect: dict[str, Any] = {}
    for target in sorted({t for ts in INSPECT_TARGETS.values() for t in ts}):
        raw, _, _ = docker("image", "inspect", target)
        inspect[target] = json.loads(raw)[0]
    cases: list[dict[str, Any]] = []
    for template in IMAGE:
        out, err, code = docker("images", "-a", "--format", template)
        cases.append({"kind": "images", "template": template, "stdout": out, "stderr": err,
                      "exit": code})
    for template in HISTORY:
        out, err, code = docker("history", HISTORY_IMAGE, "--format", template)
        cases.append({"kind": "history", "template": template, "stdout": out,
                      "stderr": err, "exit": code})
    for template, targets_key in INSPECT:
        targets = INSPECT_TARGETS[targets_key]
        out, err, code = docker("image", "inspect", "-f", template, *targets)
        cases.append({"kind": "inspect", "template": template, "targets": targets,
                      "stdout": out, "stderr": err, "exit": code})
    data = {
        "recorded_with": {"docker": version.strip(), "history_image": HISTORY_IMAGE,
                          "recorded_at": recorded_at},
        "data": {"images": lines_json(images), "history": lines_json(history),
                 "inspect": inspect},
        "cases": cases,
    }
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(cases)} cases written to {OUT}")


if __name__ == "__main__":
    main()
