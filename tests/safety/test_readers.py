"""Readers never wait for writers: while a long load streams in through a pipe, reads (and a
short ``tag``, since a load stages outside the writer lock) finish quickly."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from tests.safety.archives import Image, Populated, archive, random_layer
from tests.safety.harness import Dockyard, finish

pytestmark = pytest.mark.slow

FEED_SECONDS = 7.0  # how long feeding the whole archive takes
BOUND = 5.0  # each command run during the load must finish within this
CHUNK = 64 * 1024


class Feeder(threading.Thread):
    """Writes ``data`` to ``pipe`` at a steady pace; the last ``held`` bytes wait for
    :meth:`release` (so the load cannot finish before the test says so)."""

    def __init__(self, pipe: IO[bytes], data: bytes, held: int) -> None:
        super().__init__(daemon=True)
        self.pipe, self.data, self.hold_at = pipe, data, len(data) - held
        self.fed = 0
        self.error: BaseException | None = None
        self._progress = threading.Condition()
        self._gate = threading.Event()
        self._halt = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        try:
            for offset in range(0, len(self.data), CHUNK):
                if offset >= self.hold_at:
                    self._gate.wait()
                if self._halt.is_set():
                    return
                self.pipe.write(self.data[offset : offset + CHUNK])
                self.pipe.flush()
                with self._progress:
                    self.fed = min(offset + CHUNK, len(self.data))
                    self._progress.notify_all()
                due = start + FEED_SECONDS * self.fed / len(self.data)
                time.sleep(max(0.0, due - time.monotonic()))
        except BaseException as exc:  # reported by the test, never lost in the thread
            self.error = exc
        finally:
            with contextlib.suppress(OSError):
                self.pipe.close()

    def wait_fed(self, count: int, timeout: float) -> None:
        with self._progress:
            assert self._progress.wait_for(lambda: self.fed >= count or not self.is_alive(),
                                           timeout), "the loader does not read its input"
        assert self.fed >= count, f"feeding stopped: {self.error!r}"

    def release(self) -> None:
        self._gate.set()

    def stop(self) -> None:
        self._halt.set()
        self._gate.set()


def test_reads_and_a_tag_during_a_long_load(
    dy: Dockyard, populated: Populated, tmp_path: Path
) -> None:
    big = Image([random_layer(70, 24 << 20), random_layer(71, 24 << 20)], ["big/load:1"],
                label="big")
    data = archive([big])
    saved_before = tmp_path / "before.tar"
    dy("save", "-o", saved_before, "safety/b:1").ok()
    reads = [
        ["images"],
        ["inspect", "safety/b:1"],
        ["history", "safety/b:1"],
        ["system", "df"],
        ["save", "-o", str(tmp_path / "during.tar"), "safety/b:1"],
    ]
    loader = dy.popen("load", "-q", stdin=subprocess.PIPE)
    assert loader.stdin is not None
    feeder = Feeder(loader.stdin, data, held=1 << 20)
    feeder.start()
    try:
        feeder.wait_fed(8 << 20, timeout=30)
        for args in reads:
            result = dy(*args, timeout=BOUND)
            assert result.code == 0, result.describe()
            assert result.seconds < BOUND
        tagged = dy("tag", "safety/a:1", "safety/during:1", timeout=BOUND)
        assert tagged.code == 0, tagged.describe()
        assert loader.poll() is None, (
            f"the load ended (exit {loader.returncode}) before the commands were done")
        assert feeder.error is None, repr(feeder.error)
    except BaseException:
        feeder.stop()
        loader.kill()
        raise
    finally:
        feeder.release()
        feeder.join(timeout=60)
        out, err = finish(loader, timeout=60)
    assert feeder.error is None, repr(feeder.error)
    assert (loader.returncode, out, err) == (0, b"Loaded image: big/load:1\n", b"")
    assert (tmp_path / "during.tar").read_bytes() == saved_before.read_bytes()
    inspect = dy("inspect", "-f", "{{.Id}}", "big/load:1", "safety/during:1", "safety/b:1")
    assert inspect.ok().out.split() == [big.id, populated.a.id, populated.b.id]
    dy("check").ok()
