"""Read-only stores: a read-only bind mount and a store only readable by the caller (``nobody``)
answer every read exactly as the writable store does and refuse every write with exit 6
(``… is read-only``); reads of a store that does not exist create nothing."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.safety.archives import Populated, rootfs, small_archive
from tests.safety.conftest import populate
from tests.safety.harness import (
    AS_USER,
    EXIT_STORAGE,
    SRC,
    Dockyard,
    assert_failed_cleanly,
    read_only_view,
    snapshot,
)

TAG = "safety/b:1"
READS = {
    "images": ["images"],
    "images-all-digests": ["images", "-a", "--digests"],
    "inspect": ["inspect", TAG],
    "history": ["history", TAG],
    "save": ["save", "-o", "{out}", TAG],
    "export": ["export", "-o", "{out}", TAG],
    "system-df": ["system", "df"],
    "check": ["check"],
    "copy-to-archive": ["copy", "-q", f"dockyard:{TAG}", "docker-archive:{out}"],
    "copy-to-oci-archive": ["copy", "-q", f"dockyard:{TAG}", "oci-archive:{out}:v1"],
}
WRITES = {
    "load": ["load", "-q", "-i", "{archive}"],
    "tag": ["tag", TAG, "safety/new:1"],
    "rmi": ["rmi", "safety/a:1"],
    "prune": ["image", "prune", "-f"],
    "import": ["import", "-q", "{rootfs}", "safety/imp:1"],
    "check-repair": ["check", "--repair"],
}


@dataclass
class World:
    """A populated store that every user can read, in a directory every user can enter."""

    base: Path
    dy: Dockyard
    images: Populated
    expected: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def argv(self, template: list[str], out: Path) -> list[str]:
        values = {"out": str(out), "archive": str(self.base / "small.tar"),
                  "rootfs": str(self.base / "rootfs.tar")}
        return [arg.format(**values) for arg in template]

    def read(self, dy: Dockyard, name: str, out_dir: Path) -> tuple[str, bytes]:
        """Run read command ``name``; return its stdout and the file it wrote (if any)."""
        out = out_dir / f"{name}.out"
        result = dy(*self.argv(READS[name], out)).ok()
        return result.out, out.read_bytes() if "{out}" in READS[name] else b""


def _readable_by_all(root: Path) -> None:
    """``chmod -R go+rX root``."""
    for top, dirs, files in os.walk(root):
        os.chmod(top, os.stat(top).st_mode | 0o055)
        for name in [*dirs, *files]:
            path = os.path.join(top, name)
            mode = os.lstat(path).st_mode
            if not os.path.islink(path):
                os.chmod(path, mode | 0o044 | (0o011 if mode & 0o111 else 0))


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    base = Path(tempfile.mkdtemp(prefix="dockyard-safety-"))
    try:
        os.chmod(base, 0o755)
        home = base / "home"
        home.mkdir(mode=0o755)
        dy = Dockyard(base / "store", home)
        images = populate(dy, base)
        data, _image = small_archive(12, "safety/ro-load:1")
        (base / "small.tar").write_bytes(data)
        (base / "rootfs.tar").write_bytes(rootfs(8))
        world = World(base, dy, images)
        expected_dir = base / "expected"
        expected_dir.mkdir()
        for name in READS:
            world.expected[name] = world.read(dy, name, expected_dir)
        _readable_by_all(base / "store")
        yield world
    finally:
        shutil.rmtree(base)


@pytest.fixture(scope="module")
def ro_store(world: World) -> Iterator[Path]:
    with read_only_view(world.dy.root, world.base / "ro") as path:
        yield path


@pytest.mark.parametrize("name", list(READS))
def test_read_only_mount_reads(world: World, ro_store: Path, tmp_path: Path, name: str) -> None:
    before = snapshot(ro_store)
    assert world.read(world.dy.at(ro_store), name, tmp_path) == world.expected[name]
    assert snapshot(ro_store) == before


@pytest.mark.parametrize("name", list(WRITES))
def test_read_only_mount_writes(world: World, ro_store: Path, tmp_path: Path, name: str) -> None:
    before = snapshot(ro_store)
    result = world.dy.at(ro_store)(*world.argv(WRITES[name], tmp_path / "unused"))
    assert_failed_cleanly(result, ro_store, before, code=EXIT_STORAGE, contains="is read-only")


@dataclass
class Other:
    """Another user (``nobody``) who can run this interpreter and import dockyard."""

    dy: Dockyard
    uid: int
    gid: int

    def out_dir(self, world: World, name: str) -> Path:
        path = world.base / f"out-{name}"
        path.mkdir(exist_ok=True)
        os.chown(path, self.uid, self.gid)
        return path


@pytest.fixture(scope="module")
def nobody(world: World) -> Other:
    if os.geteuid() != 0:
        pytest.skip("running a command as another user needs root")
    try:
        account = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("there is no user 'nobody'")
    home = world.base / "nobody-home"
    home.mkdir(exist_ok=True)
    os.chown(home, account.pw_uid, account.pw_gid)
    user = (account.pw_uid, account.pw_gid)
    probe = Dockyard(world.dy.root, home, user).probe()
    if probe.code != 0:
        pytest.skip(f"cannot run {sys.executable} with dockyard from {SRC} as user nobody "
                    f"(through {AS_USER.name}): {probe.err.strip().splitlines()[-1:]}")
    assert probe.out.split() == [str(user[0]), str(user[1]), str(SRC / "dockyard" /
                                                                 "__init__.py")]
    return Other(Dockyard(world.dy.root, home, user), *user)


@pytest.mark.parametrize("name", list(READS))
def test_other_user_reads(world: World, nobody: Other, name: str) -> None:
    before = snapshot(world.dy.root)
    assert world.read(nobody.dy, name, nobody.out_dir(world, name)) == world.expected[name]
    assert snapshot(world.dy.root) == before


@pytest.mark.parametrize("name", list(WRITES))
def test_other_user_writes(world: World, nobody: Other, name: str) -> None:
    before = snapshot(world.dy.root)
    result = nobody.dy(*world.argv(WRITES[name], world.base / "unused"))
    assert_failed_cleanly(result, world.dy.root, before, code=EXIT_STORAGE,
                          contains="is read-only")


def test_images_on_missing_root_creates_nothing(tmp_path: Path, home: Path) -> None:
    dy = Dockyard(tmp_path / "absent" / "store", home)
    result = dy("images")
    assert (result.code, result.out, result.err) == (
        0, "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n", ""), result.describe()
    assert not (tmp_path / "absent").exists()


def test_inspect_on_missing_root_creates_nothing(tmp_path: Path, home: Path) -> None:
    dy = Dockyard(tmp_path / "absent" / "store", home)
    result = dy("image", "inspect", "nope")
    assert (result.code, result.err) == (1, "Error: No such image: nope:latest\n"), (
        result.describe())
    assert json.loads(result.out) == []
    assert not (tmp_path / "absent").exists()
