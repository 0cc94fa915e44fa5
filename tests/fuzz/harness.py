"""Run mutated oracle archives through ``load`` and check what may and may not happen.

For each case: a typed error (a :class:`~dockyard.errors.DockyardError`) or success. After a
failure the store is byte-identical to before (every file but ``tmp/``); after a success
every loaded image's ID is the sha256 of its stored config file. Anything else is a
:class:`Finding`, reported with what reproduces it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import shutil
import tarfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dockyard
from dockyard.archive.load import load
from dockyard.errors import DockyardError
from tests.fuzz.mutate import Mutation, mutate
from tests.hostile.builders import docker_archive, layer_tar
from tests.oracle.util import ORACLE

#: (oracle version, archive, weight): small archives often, large ones now and then.
BASES = (
    ("docker-20.10", "scratch.tar", 6),
    ("docker-28.3", "scratch.tar", 6),
    ("docker-20.10", "base.tar", 2),
    ("docker-28.3", "base.tar", 2),
    ("docker-20.10", "untagged.tar", 1),
    ("docker-28.3", "untagged.tar", 1),
    ("docker-20.10", "app.tar", 1),
    ("docker-28.3", "app.tar", 1),
    ("docker-20.10", "multi.tar", 1),
    ("docker-28.3", "multi.tar", 1),
    ("docker-20.10", "app-oci.tar", 1),
)
KINDS = ("memory", "pipe", "file")


@dataclass(frozen=True)
class Base:
    """An archive the mutations start from."""

    label: str
    data: bytes
    weight: int


def legacy_variant(archive: bytes) -> bytes:
    """The archive without manifest.json and the config files (Docker's legacy load path)."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(archive)) as tar,
        tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as new,
    ):
        for member in tar:
            top_level_json = member.name.endswith(".json") and "/" not in member.name
            if member.name == "manifest.json" or top_level_json:
                continue
            new.addfile(member, tar.extractfile(member) if member.isfile() else None)
    return out.getvalue()


def bases() -> list[Base]:
    """The oracle archives to mutate, with a legacy and a gzip variant of the small ones."""
    found: list[Base] = []
    for version, name, weight in BASES:
        path = ORACLE / version / name
        if path.is_file():
            found.append(Base(f"{version}/{name}", path.read_bytes(), weight))
    for base in list(found):
        if base.label in ("docker-20.10/scratch.tar", "docker-20.10/base.tar"):
            found.append(Base(f"{base.label} (legacy)", legacy_variant(base.data), 2))
        if base.label == "docker-28.3/scratch.tar":
            found.append(Base(f"{base.label} (gzip)", gzip.compress(base.data, 1), 1))
    return found


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of a store but ``tmp/``: mode and content (link target for symlinks)."""
    out: dict[str, tuple[int, bytes]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == "tmp" or rel.startswith("tmp/"):
            continue
        st = path.lstat()
        if path.is_symlink():
            content = str(path.readlink()).encode()
        elif path.is_file():
            content = path.read_bytes()
        else:
            content = b""
        out[rel] = (st.st_mode, content)
    return out


@dataclass
class Finding:
    """A case that broke a rule."""

    index: int
    base: str
    kind: str
    mutation: str
    problem: str
    archive: bytes = field(repr=False, default=b"")

    def __str__(self) -> str:
        return f"case {self.index} ({self.base}, {self.kind}, {self.mutation}): {self.problem}"


@dataclass
class Report:
    """What a run did."""

    cases: int = 0
    loaded: int = 0
    refused: int = 0
    seconds: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


class Fuzzer:
    """Runs cases against copies of one small store that already holds an image.

    Args:
        work: a scratch directory (the caller removes it).
        seed: the seed every case derives its own random generator from.
    """

    def __init__(self, work: Path, seed: int) -> None:
        self.work = work
        self.seed = seed
        self.bases = bases()
        self.template = work / "template"
        with dockyard.open(self.template) as client:
            existing = layer_tar({"existing.txt": b"already here\n"})
            archive = docker_archive([existing], repo_tags=["existing/img:1"]).build()
            load(client, io.BytesIO(archive))

    def case(self, index: int) -> tuple[Base, str, Mutation]:
        """The base, input kind and mutation of case ``index`` (reproducible)."""
        rng = random.Random(f"{self.seed}:{index}")
        base = rng.choices(self.bases, weights=[b.weight for b in self.bases])[0]
        return base, KINDS[index % len(KINDS)], mutate(rng, base.data)

    def run(self, count: int, start: int = 0) -> Report:
        """Run cases ``start`` to ``start + count - 1``."""
        report = Report()
        began = time.monotonic()
        for index in range(start, start + count):
            self._one(index, report)
        report.seconds = time.monotonic() - began
        return report

    def _one(self, index: int, report: Report) -> None:
        base, kind, mutation = self.case(index)
        root = self.work / f"store-{index}"
        shutil.copytree(self.template, root, symlinks=True)
        try:
            problem = self._check(root, kind, mutation.data, report)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        report.cases += 1
        if problem is not None:
            report.findings.append(
                Finding(index, base.label, kind, mutation.description, problem, mutation.data)
            )

    def _source(self, kind: str, data: bytes) -> Any:
        if kind == "file":
            path = self.work / "archive.tar"
            path.write_bytes(data)
            return path
        if kind == "pipe":
            raw = io.BytesIO(data)
            raw.seekable = lambda: False  # type: ignore[method-assign]
            return io.BufferedReader(raw)
        return io.BytesIO(data)

    def _check(self, root: Path, kind: str, data: bytes, report: Report) -> str | None:
        with dockyard.open(root) as client:
            with client.transaction():
                pass  # the copy has new inodes: let the index catch up before the snapshot
            before = snapshot(root)
            try:
                result = load(client, self._source(kind, data))
            except DockyardError as exc:
                report.refused += 1
                name = type(exc).__name__
                report.errors[name] = report.errors.get(name, 0) + 1
                after = snapshot(root)
                if after != before:
                    changed = sorted(set(after.items()) ^ set(before.items()))
                    return f"{name}: {exc}; but the store changed: {[c[0] for c in changed][:5]}"
                return None
            except BaseException as exc:  # exactly what the fuzzer looks for
                return "untyped " + "".join(traceback.format_exception_only(exc)).strip() + (
                    "\n" + "".join(traceback.format_tb(exc.__traceback__)[-3:])
                )
            report.loaded += 1
            content = root / "image" / "dockyard" / "imagedb" / "content" / "sha256"
            for image in result.images:
                stored = content / image.id.hex
                if not stored.is_file():
                    return f"loaded {image.id} has no config file"
                if hashlib.sha256(stored.read_bytes()).hexdigest() != image.id.hex:
                    return f"loaded {image.id} is not the sha256 of its config file"
        return None
