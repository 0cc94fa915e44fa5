"""``python -m bench``: generate the test archive, time every operation, print and save a table.

See ``bench/README.md`` for what each row means and how cold and warm runs are defined.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from bench import peers
from bench.genimage import IMAGE_TAG, MIB, generate
from bench.peers import OpFailed, Sample, Unavailable
from bench.report import Row, judge, machine_facts, table

if TYPE_CHECKING:
    from tests.compat.dockerd import PrivateDockerd

OPS = ("limit", "copy", "docker-load", "docker-save", "skopeo", "dockyard-load", "dockyard-save")
SAVE_FORMATS = ("docker", "docker-legacy", "oci")


def _fail(rows: Sequence[Row], status: str) -> None:
    for row in rows:
        if row.status == "ok" and not row.samples:
            row.status = status


def _repeat(n: int, run: Callable[[int], Sample], row: Row | None) -> None:
    for i in range(n):
        sample = run(i)
        if row is not None:
            row.samples.append(sample)


class Bench:
    """One benchmark run: the archive, the scratch directory and the rows measured so far."""

    def __init__(self, archive: Path, scratch: Path, args: argparse.Namespace) -> None:
        self.archive = archive
        self.size = archive.stat().st_size
        self.scratch = scratch
        self.repeat: int = args.repeat
        self.keep: bool = args.keep
        self.only: set[str] = set(args.only)
        self.timeout: float = args.timeout or 300.0 + 3.0 * args.size_mb
        self.rows: list[Row] = []

    def row(
        self, op: str, label: str, kind: str, cache: str = "cold", dockyard: bool = False
    ) -> Row | None:
        """Add a row for ``op`` if it was selected."""
        if op not in self.only:
            return None
        row = Row(label=label, kind=kind, cache=cache, input_bytes=self.size, dockyard=dockyard)
        self.rows.append(row)
        return row

    def discard(self, path: Path) -> None:
        """Remove an output between repetitions unless ``--keep`` was given."""
        if not self.keep:
            peers.remove(path)

    def simple(
        self, op: str, label: str, kind: str, make: Callable[[Path, Path], list[str]]
    ) -> None:
        """An operation that turns the archive into one output file."""
        row = self.row(op, label, kind)
        if row is None:
            return

        def one(i: int) -> Sample:
            dest = self.scratch / f"{op}-{i}.out"
            sample = peers.measure(
                make(self.archive, dest), dest, timeout=self.timeout, cold=True, count_output=True
            )
            self.discard(dest)
            return sample

        try:
            _repeat(self.repeat, one, row)
        except OpFailed as exc:
            _fail([row], f"error ({exc})")

    def skopeo(self) -> None:
        """``skopeo copy docker-archive:<tar> oci:<dir>`` into a fresh directory each run."""
        row = self.row("skopeo", "skopeo copy docker-archive: -> oci:", "load")
        if row is None:
            return
        env = {**os.environ, "TMPDIR": str(self.scratch)}

        def one(i: int) -> Sample:
            dest = self.scratch / f"skopeo-{i}"
            cmd = peers.skopeo_cmd(self.archive, dest)
            sample = peers.measure(cmd, dest, timeout=self.timeout, cold=True, env=env)
            self.discard(dest)
            return sample

        try:
            _repeat(self.repeat, one, row)
        except Unavailable as exc:
            _fail([row], f"n/a ({exc})")
        except OpFailed as exc:
            _fail([row], f"error ({exc})")

    def docker(self) -> None:
        """``docker load`` into a fresh private dockerd per run, then ``docker save``."""
        load = self.row("docker-load", "docker load (private dockerd, vfs)", "load")
        save = self.row("docker-save", "docker save", "save")
        if load is None and save is None:
            return
        rounds = self.repeat if load is not None else 1
        try:
            for i in range(rounds):
                root = self.scratch / f"dockerd-{i}"
                with peers.private_dockerd(root) as daemon:
                    pid = peers.daemon_pid(daemon)
                    cmd = [daemon.docker, "load", "-i", str(self.archive)]
                    sample = peers.measure(
                        cmd, root, timeout=self.timeout, cold=True, env=daemon.env, daemon_pid=pid
                    )
                    if load is not None:
                        load.samples.append(sample)
                    if save is None or i != rounds - 1:
                        continue

                    def one(
                        j: int, daemon: PrivateDockerd = daemon, pid: int | None = pid
                    ) -> Sample:
                        dest = self.scratch / f"docker-save-{j}.tar"
                        cmd = [daemon.docker, "save", "-o", str(dest), IMAGE_TAG]
                        s = peers.measure(
                            cmd, dest, timeout=self.timeout, cold=True, env=daemon.env,
                            daemon_pid=pid, count_output=True,
                        )  # fmt: skip
                        self.discard(dest)
                        return s

                    _repeat(self.repeat, one, save)
        except Unavailable as exc:
            _fail([r for r in (load, save) if r], f"n/a ({exc})")
        except OpFailed as exc:
            _fail([r for r in (load, save) if r], f"error ({exc})")

    def dockyard(self) -> None:
        """Cold load into a fresh store, warm load into the same store, then each save format."""
        cold = self.row("dockyard-load", "dockyard load (fresh store)", "load", dockyard=True)
        warm = self.row(
            "dockyard-load", "dockyard load (same store again)", "load", "warm", dockyard=True
        )
        saves = [
            self.row("dockyard-save", f"dockyard save --format {f}", "save", dockyard=True)
            for f in SAVE_FORMATS
        ]
        everything = [r for r in (cold, warm, *saves) if r is not None]
        if not everything:
            return
        why = peers.dockyard_available("load", ["-i"])
        if why is not None:
            _fail(everything, f"n/a ({why})")
            return
        wanted_saves = [r for r in saves if r is not None]
        save_why = peers.dockyard_available("save", ["--format", "-o"]) if wanted_saves else None
        if save_why is not None:
            _fail(wanted_saves, f"n/a ({save_why})")
            wanted_saves = []
        base = peers.dockyard_base()
        store = self.scratch / "dockyard-0"
        try:
            for i in range(self.repeat if cold is not None else 1):
                store = self.scratch / f"dockyard-{i}"
                if i:
                    self.discard(self.scratch / f"dockyard-{i - 1}")
                cmd = [*base, "--root", str(store), "load", "-i", str(self.archive)]
                sample = peers.measure(cmd, store, timeout=self.timeout, cold=True)
                if cold is not None:
                    cold.samples.append(sample)
            cmd = [*base, "--root", str(store), "load", "-i", str(self.archive)]
            if warm is not None:
                _repeat(
                    self.repeat,
                    lambda _i: peers.measure(cmd, store, timeout=self.timeout, cold=False),
                    warm,
                )
            for fmt, save in zip(SAVE_FORMATS, saves, strict=True):
                if save is None or save not in wanted_saves:
                    continue

                def one(j: int, fmt: str = fmt) -> Sample:
                    dest = self.scratch / f"dockyard-save-{fmt}-{j}.tar"
                    cmd = [*base, "--root", str(store), "save", "--format", fmt, "-o", str(dest)]
                    s = peers.measure(
                        [*cmd, IMAGE_TAG], dest, timeout=self.timeout, cold=True, count_output=True
                    )
                    self.discard(dest)
                    return s

                _repeat(self.repeat, one, save)
        except OpFailed as exc:
            _fail(everything, f"error ({exc})")

    def finish(self) -> None:
        """Summarise every row, compute ratios and judge the dockyard targets."""
        for row in self.rows:
            row.summarise()
        refs = {r.kind: r for r in self.rows if r.kind in ("limit", "copy") and r.seconds}
        for row in self.rows:
            ref = refs.get("limit" if row.kind == "load" else "copy" if row.kind == "save" else "")
            if row.seconds is not None and ref is not None and ref.seconds:
                row.ratio, row.ratio_ref = row.seconds / ref.seconds, ref.kind
            if row.dockyard and row.seconds is not None:
                row.target = judge(row)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size-mb", type=int, default=600, help="archive size in MiB")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--keep", action="store_true", help="keep stores and outputs")
    parser.add_argument("--repeat", type=int, default=1, help="runs per operation (median)")
    parser.add_argument("--timeout", type=float, default=0.0, help="seconds per command")
    parser.add_argument(
        "--only", action="extend", nargs="+", default=[], metavar="OP",
        help=f"operations to run (default all): {', '.join(OPS)}",
    )  # fmt: skip
    args = parser.parse_args(argv)
    only = [o for item in args.only for o in item.split(",") if o]
    unknown = sorted(set(only) - set(OPS))
    if unknown:
        parser.error(f"unknown operation(s) {', '.join(unknown)}; choose from {', '.join(OPS)}")
    if args.size_mb < 10 or args.repeat < 1:
        parser.error("--size-mb must be >= 10 and --repeat >= 1")
    args.only = only or list(OPS)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the process exit code."""
    args = parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    info = generate(out, args.size_mb)
    print(f"archive: {info.path} ({info.bytes / MIB:.0f} MiB, {info.files} files, "
          f"{len(info.diff_ids)} layers; ready in {time.perf_counter() - started:.1f} s)",
          flush=True)  # fmt: skip
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=out))
    bench = Bench(Path(info.path), scratch, args)
    try:
        for step in ("limit", "copy"):
            if step == "limit":
                bench.simple(step, "limit: read + sha256 + write + fsync", "limit", peers.limit_cmd)
            else:
                bench.simple(step, "copy: cp + sync", "copy", peers.copy_cmd)
        bench.docker()
        bench.skopeo()
        bench.dockyard()
    finally:
        if not args.keep:
            peers.remove(scratch)
    bench.finish()
    facts = machine_facts(out)
    print()
    for key, value in facts.items():
        print(f"{key}: {value}")
    print()
    print(table(bench.rows))
    result = {
        "machine": facts,
        "archive": asdict(info),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "rows": [asdict(r) for r in bench.rows],
    }
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nresults: {out / 'results.json'}" + (f"; kept: {scratch}" if args.keep else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
