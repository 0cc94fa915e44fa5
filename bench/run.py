"""``python -m bench``: time dockyard against Docker and the disk; print and save the tables.

The archive rows load and save one big generated image; the scaling suites (growth, commands,
startup) load archives of many tiny images and time everyday commands on a big store. See
``bench/README.md`` for what each row means and how cold and warm runs are defined.
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
from typing import TYPE_CHECKING, Any

from bench import peers
from bench.daemon import daemon_pid, private_dockerd
from bench.genimage import IMAGE_TAG, MIB, ArchiveInfo, generate
from bench.peers import OpFailed, Sample, Unavailable
from bench.registry import RegistrySuite, run_registry
from bench.report import Row, judge, machine_facts, table
from bench.scaling import Scaling, Settings

if TYPE_CHECKING:
    from tests.compat.dockerd import PrivateDockerd

OPS = ("limit", "copy", "docker-load", "docker-save", "skopeo", "dockyard-load", "dockyard-save")
SUITES = ("growth", "commands", "startup")  # the store-scaling suites (bench/scaling.py)
CHOICES = (*OPS, *SUITES, "serve", "registry")  # serve: the Engine API server (bench/serve.py)
# registry: push, pull and copy against skopeo on a local registry (bench/registry.py)
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
                with private_dockerd(root) as daemon:
                    pid = daemon_pid(daemon)
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
        refs = {r.kind: r for r in self.rows if r.kind == "limit" and r.seconds}
        for row in self.rows:
            ref = refs.get("limit" if row.kind in ("load", "save") else "")
            if row.seconds is not None and ref is not None and ref.seconds:
                row.ratio, row.ratio_ref = row.seconds / ref.seconds, ref.kind
            if row.dockyard and row.seconds is not None:
                row.target = judge(row)


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes must be numbers >= 1")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size-mb", type=int, default=600, help="archive size in MiB")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--keep", action="store_true", help="keep stores and outputs")
    parser.add_argument("--repeat", type=int, default=1, help="runs per operation (median)")
    parser.add_argument(
        "--timeout", type=float, default=0.0,
        help="seconds per command of the archive rows (default 300 + 3 per MiB)",
    )  # fmt: skip
    parser.add_argument(
        "--only", action="extend", nargs="+", default=[], metavar="OP",
        help=f"operations or suites to run (default all): {', '.join(CHOICES)}; "
        f"`archive` stands for {', '.join(OPS)}",
    )  # fmt: skip
    parser.add_argument(
        "--growth-sizes", type=_sizes, default=[100, 1000, 10000], metavar="N,N,...",
        help="image counts of the growth suite (default 100,1000,10000)",
    )  # fmt: skip
    parser.add_argument(
        "--store-images", type=int, default=10000, metavar="N",
        help="images in the store of the commands suite (default 10000)",
    )  # fmt: skip
    parser.add_argument(
        "--command-repeat", type=int, default=0, metavar="N",
        help="runs per command of the commands and startup suites (default: --repeat)",
    )  # fmt: skip
    parser.add_argument(
        "--growth-timeout", type=float, default=1800.0, metavar="S",
        help="seconds per load of a growth archive (default 1800)",
    )  # fmt: skip
    parser.add_argument(
        "--command-timeout", type=float, default=120.0, metavar="S",
        help="seconds per command of the commands and startup suites (default 120)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    only = [o for item in args.only for o in item.split(",") if o]
    unknown = sorted(set(only) - set(CHOICES) - {"archive"})
    if unknown:
        parser.error(f"unknown operation(s) {', '.join(unknown)}; choose from {', '.join(CHOICES)}")
    if args.size_mb < 10 or args.repeat < 1 or args.command_repeat < 0:
        parser.error("--size-mb must be >= 10, --repeat >= 1 and --command-repeat >= 0")
    args.command_repeat = args.command_repeat or args.repeat
    # two docker clients share a daemon; every run of `rmi` removes another image from the end,
    # and the image in the middle (inspected, tagged) must outlive them all
    if args.store_images < 4 * (args.command_repeat + 1) + 2:
        parser.error("--store-images must be at least 4 x (--command-repeat + 1) + 2")
    expanded = [o for item in only for o in (OPS if item == "archive" else (item,))]
    args.only = list(dict.fromkeys(expanded)) or list(CHOICES)
    return args


def _archive_rows(args: argparse.Namespace, out: Path, scratch: Path) -> tuple[Bench, ArchiveInfo]:
    started = time.perf_counter()
    info = generate(out, args.size_mb)
    print(f"archive: {info.path} ({info.bytes / MIB:.0f} MiB, {info.files} files, "
          f"{len(info.diff_ids)} layers; ready in {time.perf_counter() - started:.1f} s)",
          flush=True)  # fmt: skip
    bench = Bench(Path(info.path), scratch, args)
    bench.simple("limit", "limit: read + sha256 + write + fsync", "limit", peers.limit_cmd)
    bench.simple("copy", "copy: cp + sync", "copy", peers.copy_cmd)
    bench.docker()
    bench.skopeo()
    bench.dockyard()
    bench.finish()
    return bench, info


def _scaling(args: argparse.Namespace, out: Path, scratch: Path) -> Scaling:
    suites = {o for o in args.only if o in SUITES}
    settings = Settings(
        sizes=args.growth_sizes, store_images=args.store_images, repeat=args.repeat,
        command_repeat=args.command_repeat, load_timeout=args.growth_timeout,
        command_timeout=args.command_timeout, keep=args.keep, suites=suites,
    )  # fmt: skip
    scaling = Scaling(out, scratch, settings)
    try:
        for suite in SUITES:
            if suite in suites:
                print(f"{suite}:", flush=True)
                {"growth": scaling.run_growth, "commands": scaling.run_commands,
                 "startup": scaling.run_startup}[suite]()  # fmt: skip
    finally:
        scaling.close()
    return scaling


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the process exit code."""
    args = parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=out))
    bench: Bench | None = None
    info: ArchiveInfo | None = None
    scaling: Scaling | None = None
    registry: RegistrySuite | None = None
    serve_rows: list[Any] = []
    try:
        if any(o in OPS for o in args.only):
            bench, info = _archive_rows(args, out, scratch)
        if any(o in SUITES for o in args.only):
            scaling = _scaling(args, out, scratch)
        if "serve" in args.only:
            from bench.serve import run_serve

            serve_rows = run_serve(Path(generate(out, args.size_mb).path), scratch, args.repeat)
        if "registry" in args.only:
            registry = run_registry(out, scratch, args)
    finally:
        if not args.keep:
            peers.remove(scratch)
    facts = machine_facts(out)
    print()
    for key, value in facts.items():
        print(f"{key}: {value}")
    if bench is not None:
        print()
        print(table(bench.rows))
    if scaling is not None:
        print()
        print(scaling.render())
    if serve_rows:
        from bench.serve import serve_table

        print()
        print(serve_table(serve_rows))
    result: dict[str, object] = {
        "machine": facts,
        "archive": asdict(info) if info is not None else None,
        "settings": {k: str(v) for k, v in vars(args).items()},
        "rows": [asdict(r) for r in bench.rows] if bench is not None else [],
    }
    if scaling is not None:
        result.update(scaling.results())
    if serve_rows:
        result["serve"] = [asdict(r) for r in serve_rows]
    if registry is not None:
        print()
        print(registry.render())
        result.update(registry.results())
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nresults: {out / 'results.json'}" + (f"; kept: {scratch}" if args.keep else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
