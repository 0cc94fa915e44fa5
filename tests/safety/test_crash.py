"""Writers killed with SIGKILL at random points (seeded): the store stays clean, what was
committed before stays, the killed command's effect is all there or not there at all, and
the next write succeeds and leaves nothing behind in ``tmp/``."""

from __future__ import annotations

import random
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.safety.archives import Image, Populated, archive, random_layer, rootfs
from tests.safety.conftest import populate
from tests.safety.harness import Dockyard, finish

pytestmark = pytest.mark.slow

SEED = 20250607
KILLS = 10  # per command; five commands
State = tuple[str, ...]


@dataclass
class Bench:
    """A template store (the committed images) and the inputs of the killed commands."""

    template: Path
    home: Path
    scratch: Path
    images: Populated
    loaded: list[Image]
    load: Path
    rootfs: Path
    tiny: Path

    def fresh(self, name: str) -> Dockyard:
        root = self.scratch / name
        shutil.copytree(self.template, root, symlinks=True)
        return Dockyard(root, self.home)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Bench:
    base = tmp_path_factory.mktemp("crash")
    home = base / "home"
    home.mkdir()
    dy = Dockyard(base / "template", home)
    images = populate(dy, base)
    big = [random_layer(60 + i, 1536 * 1024) for i in range(3)]
    loaded = [
        Image([images.base, big[0]], ["new/x:1"], label="x"),
        Image([big[1]], ["new/y:1"], label="y"),
        Image([big[1], big[2]], ["new/z:1", "new/z:latest"], label="z"),
    ]
    (base / "load.tar").write_bytes(archive(loaded))
    (base / "rootfs.tar").write_bytes(rootfs(61, 3 << 20))
    (base / "tiny.tar").write_bytes(rootfs(62, 512))
    return Bench(base / "template", home, base, images, loaded, base / "load.tar",
                 base / "rootfs.tar", base / "tiny.tar")


COMMANDS: dict[str, Callable[[Bench], list[str]]] = {
    "load": lambda b: ["load", "-q", "-i", str(b.load)],
    "rmi": lambda b: ["rmi", "safety/b:1"],
    "prune": lambda b: ["image", "prune", "-a", "-f"],
    "tag": lambda b: ["tag", "safety/a:1", "safety/new:1"],
    "import": lambda b: ["import", "-q", str(b.rootfs), "safety/imp:1"],
}


def state(dy: Dockyard, known: set[str]) -> State:
    """Every (image ID, tag) row; IDs not in ``known`` (made by import) become ``NEW``."""
    out = dy("images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}")
    rows = []
    for line in out.ok().out.splitlines():
        image_id, _, ref = line.partition(" ")
        rows.append(f"{image_id if image_id in known else 'NEW'} {ref}")
    return tuple(sorted(rows))


def tags_of(rows: State) -> dict[str, str]:
    return {ref: image_id for image_id, _, ref in (r.partition(" ") for r in rows)
            if ref != "<none>:<none>"}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_killed_writer(bench: Bench, name: str) -> None:
    args = COMMANDS[name](bench)
    known = {image.id for image in [*bench.images.images, *bench.loaded]}
    dy = bench.fresh(f"{name}-calibrate")
    before = state(dy, known)
    start = time.monotonic()
    dy(*args).ok()
    duration = time.monotonic() - start
    after = state(dy, known)
    assert after != before, f"{name} changed nothing"
    kept = {ref: i for ref, i in tags_of(before).items() if tags_of(after).get(ref) == i}
    rng = random.Random(f"{SEED}-{name}")
    killed = 0
    for index in range(KILLS):
        delay = 0.0 if index == 0 else (index + rng.random()) * duration / KILLS
        dy = bench.fresh(f"{name}-{index}")
        proc = dy.popen(*args)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        _out, err = finish(proc)
        where = f"{name} #{index}, killed after {delay:.3f} s of {duration:.3f} s: {err!r}"
        check = dy("check")
        assert check.code == 0, f"{where}\n{check.describe()}"
        assert check.out.splitlines()[-1].endswith(": ok"), f"{where}\n{check.describe()}"
        now = state(dy, known)
        assert now in (before, after), f"{where}: half an effect\n{now}\n{before=}\n{after=}"
        if kept:
            shown = dy("inspect", "-f", "{{.Id}}", *kept).ok().out.split()
            assert dict(zip(kept, shown, strict=True)) == kept, where
        dy("import", "-q", bench.tiny, f"safety/next:{index}").ok()
        tmp = dy.root / "tmp"
        left = sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []
        assert left == [], f"{where}: left in tmp/ after the next write: {left}"
        shutil.rmtree(dy.root)
    assert killed >= KILLS // 2, f"only {killed} of {KILLS} runs of {name} were killed"

