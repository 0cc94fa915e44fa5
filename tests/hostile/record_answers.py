"""Ask a real Docker daemon what it does with the crafted archives; record its answers.

Usage (as root, with Debian's docker.io installed)::

    python -m tests.hostile.record_answers [NAME ...]

Every archive of ``test_hostile.CASES`` and of ``typed_cases`` (or only those named) is
loaded with ``docker load -i`` into a private dockerd (vfs, unix socket, private data root:
see ``tests/compat/dockerd.py``) emptied before each archive, and into a fresh dockyard
store. ``docker_answers.json`` gets, per archive: Docker's exit status and output (its
extraction directory written as ``/var/lib/docker/tmp/docker-import-<n>``), the image IDs
in the daemon afterwards, and dockyard's answer. Entries of other archives are kept.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import dockyard
from dockyard.archive.load import load
from dockyard.errors import DockyardError
from tests.compat.dockerd import PrivateDockerd
from tests.hostile.test_hostile import CASES
from tests.hostile.typed_cases import ACCEPTED, REFUSED

ANSWERS = Path(__file__).parent / "docker_answers.json"
_TMP = re.compile(r"/var/lib/docker/tmp/docker-import-[0-9]+")


def builders() -> dict[str, Callable[[], bytes]]:
    """Every crafted archive by name."""
    found: dict[str, Callable[[], bytes]] = {name: case.build for name, case in CASES.items()}
    found.update({name: case.build for name, case in REFUSED.items()})
    found.update({name: case.build for name, case in ACCEPTED.items()})
    return found


def dockyard_answer(archive: Path, work: Path) -> str:
    """What dockyard does with the archive, in a fresh store."""
    with tempfile.TemporaryDirectory(dir=work) as scratch, dockyard.open(scratch) as client:
        try:
            return "ok: " + load(client, archive).output
        except DockyardError as exc:
            return f"error: {type(exc).__name__}: {exc}"


def main(names: list[str]) -> int:
    """Record the answers for ``names`` (every archive when empty)."""
    archives = builders()
    wanted = names or sorted(archives)
    answers = json.loads(ANSWERS.read_text()) if ANSWERS.is_file() else {}
    with tempfile.TemporaryDirectory(prefix="dockyard-answers-") as tmp, PrivateDockerd() as daemon:
        work = Path(tmp)
        for name in wanted:
            archive = work / f"{name}.tar"
            archive.write_bytes(archives[name]())
            daemon.reset()
            result = daemon.run("load", "-i", archive, check=False)
            said = (result.stdout + result.stderr).replace(str(daemon.data_root), "/var/lib/docker")
            said = _TMP.sub("/var/lib/docker/tmp/docker-import-<n>", said)
            answers[name] = {
                "docker_exit": result.returncode,
                "docker_images": daemon.image_ids(),
                "docker_output": said.strip(),
                "dockyard": dockyard_answer(archive, work),
            }
            print(f"{name}: docker {result.returncode}: {said.strip()[:100]}")
    ANSWERS.write_text(json.dumps(answers, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
