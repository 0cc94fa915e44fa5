"""``--only serve``: the Docker CLI through ``dockyard serve`` against a private dockerd.

Same run, same client (the ``docker`` first on PATH), same generated image: read latency
of ``docker images`` and ``docker image inspect`` (median of many runs, each a new client
process, so the client's own start-up is in both), and ``docker load -i`` / ``docker
save -o`` throughput (cold cache, output flushed, as the archive rows measure them).
Targets: reads at least as fast as dockerd's; load and save at least 5x its throughput.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench import peers
from bench.daemon import daemon_pid, private_dockerd
from bench.genimage import IMAGE_TAG, MIB
from bench.peers import OpFailed, Unavailable

__all__ = ["ServeRow", "run_serve", "serve_table"]

READ_RUNS = 30
THROUGHPUT_TARGET = 5.0


@dataclass
class ServeRow:
    """One operation measured through both servers."""

    op: str
    kind: str  # "read" (seconds per command) or "load"/"save" (MB/s)
    dockerd: list[float] = field(default_factory=list)
    dockyard: list[float] = field(default_factory=list)
    status: str = "ok"

    def median(self, which: list[float]) -> float | None:
        """The median seconds of one side."""
        return statistics.median(which) if which else None


@contextlib.contextmanager
def dockyard_server(root: Path) -> Iterator[tuple[str, int]]:
    """``python -m dockyard.server`` on a fresh store; yields ``(DOCKER_HOST, pid)``."""
    sock = root.parent / f"{root.name}.sock"
    root.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "dockyard.server", "--root", str(root),
           "--host", f"unix://{sock}"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise Unavailable("dockyard serve did not start (is the server extra installed?)")
            time.sleep(0.05)
        yield f"unix://{sock}", proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _settle(docker: str, env: dict[str, str]) -> None:
    """The same start for both sides: the archive rows' writes flushed, one warm-up call.

    Reads come right after a 600 MB load and save; without this, the write-back of those
    (and the deletion of the saved archive) lands in the middle of one side's samples.
    """
    subprocess.run(["sync"], check=False, timeout=300)
    time.sleep(1.0)
    subprocess.run([docker, "images"], env=env, check=False, capture_output=True, timeout=60)


def _reads(docker: str, env: dict[str, str], rows: dict[str, ServeRow], side: str) -> None:
    _settle(docker, env)
    for op, args in (("docker images", ["images"]),
                     ("docker image inspect", ["image", "inspect", IMAGE_TAG])):  # fmt: skip
        samples = getattr(rows[op], side)
        for _ in range(READ_RUNS):
            started = time.perf_counter()
            subprocess.run([docker, *args], env=env, check=True, capture_output=True, timeout=60)
            samples.append(time.perf_counter() - started)


def _archive_ops(docker: str, env: dict[str, str], pid: int | None, archive: Path,
                 scratch: Path, rows: dict[str, ServeRow], side: str) -> None:  # fmt: skip
    load = peers.measure([docker, "load", "-i", str(archive)], scratch, timeout=1800, cold=True,
                         env=env, daemon_pid=pid)  # fmt: skip
    getattr(rows["docker load -i"], side).append(load.seconds)
    out = scratch / f"serve-save-{side}.tar"
    save = peers.measure([docker, "save", "-o", str(out), IMAGE_TAG], out, timeout=1800,
                         cold=True, env=env, daemon_pid=pid, count_output=True)  # fmt: skip
    getattr(rows["docker save -o"], side).append(save.seconds)
    peers.remove(out)


def run_serve(archive: Path, scratch: Path, repeat: int = 1) -> list[ServeRow]:
    """Measure every row through dockerd and through dockyard serve."""
    rows = {op: ServeRow(op, kind) for op, kind in (
        ("docker images", "read"), ("docker image inspect", "read"),
        ("docker load -i", "load"), ("docker save -o", "save"))}  # fmt: skip
    docker = shutil.which("docker")
    if docker is None:
        for row in rows.values():
            row.status = "n/a (no docker client)"
        return list(rows.values())
    for i in range(repeat):
        try:
            with private_dockerd(scratch / f"serve-dockerd-{i}") as daemon:
                env = {**daemon.env}
                _archive_ops(docker, env, daemon_pid(daemon), archive, scratch, rows, "dockerd")
                _reads(docker, env, rows, "dockerd")
        except (Unavailable, OpFailed) as exc:
            for row in rows.values():
                row.status = f"dockerd n/a ({exc})"
        store = scratch / f"serve-store-{i}"
        try:
            with dockyard_server(store) as (host, pid):
                env = {**os.environ, "DOCKER_HOST": host, "DOCKER_CLI_HINTS": "false"}
                _archive_ops(docker, env, pid, archive, scratch, rows, "dockyard")
                _reads(docker, env, rows, "dockyard")
        except (Unavailable, OpFailed) as exc:
            for row in rows.values():
                row.status = f"dockyard n/a ({exc})"
        finally:
            peers.remove(store)
    size_mb = archive.stat().st_size / MIB
    for row in rows.values():
        if row.kind != "read":
            row.dockerd = [size_mb / s for s in row.dockerd]
            row.dockyard = [size_mb / s for s in row.dockyard]
            row.kind = "load" if "load" in row.op else "save"
    return list(rows.values())


def serve_table(rows: list[ServeRow]) -> str:
    """The rows as a markdown table (reads in ms, load and save in MB/s)."""
    head = "| operation | through dockerd | through dockyard serve | ratio | target |"
    lines = [head, "|---|---|---|---|---|"]
    for row in rows:
        theirs, ours = row.median(row.dockerd), row.median(row.dockyard)
        if row.status != "ok" or theirs is None or ours is None:
            lines.append(f"| {row.op} | {row.status} | - | - | - |")
            continue
        if row.kind == "read":
            cells = [f"{theirs * 1000:.1f} ms", f"{ours * 1000:.1f} ms", f"{theirs / ours:.2f}x"]
            verdict = "pass" if ours <= theirs else "FAIL (slower than dockerd)"
        else:
            cells = [f"{theirs:.0f} MB/s", f"{ours:.0f} MB/s", f"{ours / theirs:.1f}x"]
            ratio = ours / theirs
            verdict = "pass" if ratio >= THROUGHPUT_TARGET else f"FAIL ({ratio:.1f}x < 5x)"
        lines.append(f"| {row.op} | " + " | ".join(cells) + f" | {verdict} |")
    return "\n".join(lines)
