"""A full filesystem (ENOSPC): every write fails with exit 6, one line, and the store as it
was; once space is back the same commands work. The store lives on a 16 MB tmpfs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.safety.archives import Image, Populated, archive, random_layer, rootfs, small_archive
from tests.safety.conftest import populate
from tests.safety.harness import (
    EXIT_STORAGE,
    Dockyard,
    assert_failed_cleanly,
    fill,
    snapshot,
    tmpfs,
)


@dataclass
class Full:
    """A populated store on a small filesystem, plus inputs kept outside it."""

    dy: Dockyard
    images: Populated
    mount: Path
    rootfs: Path
    small: Path
    small_image: Image

    def ids(self) -> set[str]:
        out = self.dy("images", "-a", "-q", "--no-trunc").ok().out
        return set(out.split())

    def inspect_id(self, name: str) -> str:
        return self.dy("inspect", "-f", "{{.Id}}", name).ok().out.strip()


@pytest.fixture
def full(tmp_path: Path, home: Path) -> Iterator[Full]:
    with tmpfs(tmp_path / "fs", "16m") as mount:
        dy = Dockyard(mount / "store", home)
        images = populate(dy, tmp_path)
        (tmp_path / "rootfs.tar").write_bytes(rootfs(7, 8192))
        data, image = small_archive(11)
        (tmp_path / "small.tar").write_bytes(data)
        yield Full(dy, images, mount, tmp_path / "rootfs.tar", tmp_path / "small.tar", image)


@pytest.mark.parametrize("source", ["file", "pipe"])
def test_load_bigger_than_free_space(full: Full, tmp_path: Path, source: str) -> None:
    big = archive(
        [
            Image([random_layer(50, 6 << 20)], ["safety/big:1"], label="big1"),
            Image([random_layer(50, 6 << 20), random_layer(51, 12 << 20)], ["safety/big:2"],
                  label="big2"),
        ]
    )
    stat = os.statvfs(full.mount)
    assert len(big) > stat.f_bavail * stat.f_frsize
    path = tmp_path / "big.tar"
    path.write_bytes(big)
    before = snapshot(full.dy.root)
    if source == "file":
        result = full.dy("load", "-q", "-i", path)
    else:
        result = full.dy("load", "-q", input=big)
    assert_failed_cleanly(result, full.dy.root, before, code=EXIT_STORAGE)


def _tag(f: Full) -> list[str]:
    return ["tag", "safety/a:1", "safety/new:1"]


def _tag_done(f: Full, out: str) -> None:
    assert f.inspect_id("safety/new:1") == f.images.a.id
    assert f.inspect_id("safety/a:1") == f.images.a.id


def _rmi_tag(f: Full) -> list[str]:
    return ["rmi", "safety/b:1"]


def _rmi_tag_done(f: Full, out: str) -> None:
    assert f"Untagged: safety/b:1\nDeleted: {f.images.b.id}\n" in out
    assert f.dy("inspect", "safety/b:1").code == 1
    assert f.ids() == {f.images.a.id, f.images.loose.id}


def _rmi_id(f: Full) -> list[str]:
    return ["rmi", f.images.loose.id[7:19]]


def _rmi_id_done(f: Full, out: str) -> None:
    assert out.startswith(f"Deleted: {f.images.loose.id}\n")
    assert f.ids() == {f.images.a.id, f.images.b.id}


def _prune(f: Full) -> list[str]:
    return ["image", "prune", "-a", "-f"]


def _prune_done(f: Full, out: str) -> None:
    assert out.startswith("Deleted Images:\n")
    assert f.ids() == set()


def _import(f: Full) -> list[str]:
    return ["import", "-q", str(f.rootfs), "safety/imp:1"]


def _import_done(f: Full, out: str) -> None:
    assert f.inspect_id("safety/imp:1") == out.strip()
    assert f.ids() == {i.id for i in f.images.images} | {out.strip()}


def _load(f: Full) -> list[str]:
    return ["load", "-q", "-i", str(f.small)]


def _load_done(f: Full, out: str) -> None:
    assert out == "Loaded image: safety/small:1\n"
    assert f.inspect_id("safety/small:1") == f.small_image.id


Step = tuple[Callable[[Full], list[str]], Callable[[Full, str], None]]
COMMANDS: dict[str, Step] = {
    "tag": (_tag, _tag_done),
    "rmi-tag": (_rmi_tag, _rmi_tag_done),
    "rmi-untagged-by-id": (_rmi_id, _rmi_id_done),
    "prune-all": (_prune, _prune_done),
    "import": (_import, _import_done),
    "load-small": (_load, _load_done),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_full_filesystem(full: Full, name: str) -> None:
    command, done = COMMANDS[name]
    filler = fill(full.mount)
    before = snapshot(full.dy.root)
    result = full.dy(*command(full))
    assert_failed_cleanly(result, full.dy.root, before, code=EXIT_STORAGE)
    filler.unlink()
    again = full.dy(*command(full))
    again.ok()
    done(full, again.out)
    full.dy("check").ok()
