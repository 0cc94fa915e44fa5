"""Rules 1 and 2 on ordinary failures: a failing command prints one error line, never a
traceback, never exits 70, and leaves every file of the store (outside ``tmp/``) as it was.

Exit codes are those of ``dockyard.cli.exitcodes``: 1 for what Docker reports (an invalid
reference or archive included, as Docker exits 1 for those)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.safety.archives import Image, Populated, archive, random_layer, rootfs
from tests.safety.harness import Dockyard, assert_failed_cleanly, snapshot


@dataclass
class Files:
    """Inputs of the failing commands, written next to the store."""

    images: Populated
    rootfs: Path
    truncated: Path
    lying: Path
    garbage: Path
    out: Path


def _lying_archive() -> bytes:
    """A good new image, then one whose layer is not the one its config names."""
    good = Image([random_layer(20, 65536)], ["safety/good:1"], label="good")
    claimed, actual = random_layer(21, 65536), random_layer(22, 65536)
    assert len(claimed) == len(actual)
    bad = Image([claimed], ["safety/bad:1"], label="bad")
    data = archive([good, bad])
    assert data.count(claimed) == 1
    return data.replace(claimed, actual)


@pytest.fixture
def files(populated: Populated, tmp_path: Path) -> Files:
    new = [
        Image([random_layer(30, 65536)], ["safety/new:1"], label="new1"),
        Image([random_layer(31, 65536), random_layer(32, 65536)], ["safety/new:2"], label="n2"),
    ]
    whole = archive(new)
    paths = {name: tmp_path / f"{name}.bin" for name in ("rootfs", "truncated", "lying",
                                                          "garbage")}
    paths["rootfs"].write_bytes(rootfs(5, 32768))
    paths["truncated"].write_bytes(whole[: len(whole) * 3 // 4])
    paths["lying"].write_bytes(_lying_archive())
    paths["garbage"].write_bytes(random_layer(40, 4096)[512:])
    return Files(populated, out=tmp_path / "missing-dir" / "out.tar", **paths)


Case = Callable[[Files], list[str]]
#: name -> (the failing command, its exit code when the README fixes one, stdin source)
CASES: dict[str, tuple[Case, int | None, str | None]] = {
    "inspect-missing": (lambda f: ["inspect", "nope"], 1, None),
    "history-missing": (lambda f: ["history", "nope"], 1, None),
    "rmi-missing": (lambda f: ["rmi", "nope"], 1, None),
    "rmi-missing-id": (lambda f: ["rmi", "0123456789ab"], 1, None),
    "tag-missing-source": (lambda f: ["tag", "nope:1", "safety/x:1"], 1, None),
    "tag-invalid-target": (lambda f: ["tag", "safety/a:1", "Not A/Valid:Ref!"], 1, None),
    "rmi-id-in-two-repos": (lambda f: ["rmi", f.images.a.id[7:19]], None, None),
    "load-truncated-file": (lambda f: ["load", "-q", "-i", str(f.truncated)], 1, None),
    "load-truncated-pipe": (lambda f: ["load", "-q"], 1, "truncated"),
    "load-lying-layer-file": (lambda f: ["load", "-q", "-i", str(f.lying)], 1, None),
    "load-lying-layer-pipe": (lambda f: ["load", "-q"], 1, "lying"),
    "load-garbage": (lambda f: ["load", "-q", "-i", str(f.garbage)], 1, None),
    "load-missing-file": (lambda f: ["load", "-q", "-i", str(f.out)], 1, None),
    "import-missing-file": (lambda f: ["import", "-q", str(f.out), "safety/imp:1"], 1, None),
    "import-invalid-reference": (
        lambda f: ["import", "-q", str(f.rootfs), "Not A/Valid:Ref!"], 1, None),
    "import-invalid-change": (
        lambda f: ["import", "-q", "-c", "BOGUS x", str(f.rootfs), "safety/imp:1"], 1, None),
    "import-garbage": (lambda f: ["import", "-q", str(f.garbage), "safety/imp:1"], None, None),
    "save-unwritable-output": (lambda f: ["save", "-o", str(f.out), "safety/a:1"], None, None),
    "save-missing-image": (
        lambda f: ["save", "-o", str(f.out.parent.parent / "s.tar"), "safety/a:1", "nope"],
        1, None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_failure_changes_nothing(name: str, dy: Dockyard, files: Files) -> None:
    build, code, stdin = CASES[name]
    if name == "rmi-id-in-two-repos":
        dy("tag", "safety/a:1", "other/a:1").ok()
    before = snapshot(dy.root)
    data = getattr(files, stdin).read_bytes() if stdin else b""
    result = dy(*build(files), input=data)
    assert_failed_cleanly(result, dy.root, before, code=code)
    if name == "inspect-missing":  # the top-level inspect answers as ``docker inspect``
        assert result.err == "Error: No such object: nope\n"


def test_failed_load_then_good_load(dy: Dockyard, files: Files) -> None:
    """A failed load leaves nothing that changes what the next load does."""
    before = snapshot(dy.root)
    result = dy("load", "-q", "-i", files.lying)
    assert_failed_cleanly(result, dy.root, before, code=1)
    listed = dy("images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}")
    assert sorted(listed.ok().out.splitlines()) == sorted(
        [f"{files.images.a.id} safety/a:1", f"{files.images.b.id} safety/b:1",
         f"{files.images.loose.id} <none>:<none>"])
    good = Image([random_layer(20, 65536)], ["safety/good:1"], label="good")
    path = files.lying.with_name("good.tar")
    path.write_bytes(archive([good]))
    assert dy("load", "-q", "-i", path).ok().out == "Loaded image: safety/good:1\n"
    assert dy("inspect", "-f", "{{.Id}}", "safety/good:1").ok().out == f"{good.id}\n"
    dy("check").ok()
