"""The registry suite: push, re-push, pull and copy, dockyard against skopeo (and crane).

Every tool talks to the same local `docker-registry` (distribution 2.8, filesystem storage in
the scratch directory, deletes enabled) through a counting proxy (`bench.regproxy`), so each
row shows the blob bytes the tool uploaded and the bytes it received. A push and a copy
between registries go to a registry started afresh for each repetition (on a port not used
before in the run): neither dockyard's store (which remembers where it pushed layers) nor
skopeo's blob-info cache (which remembers where blobs are, per registry host) can then turn
an upload into a mount. Every other row uses the registry of the last push. See
``bench/README.md`` for the rows and their targets.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import peers
from bench.genimage import IMAGE_TAG, MIB, generate
from bench.peers import OpFailed, Sample, Unavailable
from bench.regproxy import Counts
from bench.regserver import Registry, private_env
from bench.report import RSS_TARGET_MB, verdict
from bench.scaling import failure

TOOLS = ("dockyard", "skopeo", "crane")
PUSH_RATIO_TARGET = 0.8  # dockyard push time / skopeo push time
REPUSH_SECONDS = 0.5
PULL_RATIO_TARGET = 1.0  # dockyard pull time / skopeo pull time
# run once, untimed: dockyard then runs from compiled bytecode, as an installed package does
COMPILE = "import compileall, dockyard; compileall.compile_dir(dockyard.__path__[0], quiet=2)"
# operation key -> (label, cache): the table's rows, in order
OPERATIONS = {
    "push": ("push (fresh registry)", "cold"),
    "repush": ("re-push (nothing new)", "warm"),
    "pull": ("pull (fresh store / OCI dir)", "cold"),
    "present": ("pull, layers present (new tag)", "warm"),
    "copy-same": ("copy to a new repository, same registry", "cold"),
    "copy-other": ("copy to another registry", "cold"),
}


@dataclass
class RegRow:
    """One tool doing one operation: its samples and their summary."""

    op: str
    tool: str
    label: str
    cache: str
    samples: list[Sample] = field(default_factory=list)
    counts: list[Counts] = field(default_factory=list)
    status: str = "ok"
    seconds: float | None = None
    blob_up: int | None = None
    down: int | None = None
    rss_mb: float | None = None
    ratio: float | None = None
    target: str = ""

    def summarise(self) -> None:
        """Median time and byte counts, highest peak RSS."""
        if self.status != "ok" or not self.samples:
            return
        self.seconds = statistics.median(s.seconds for s in self.samples)
        self.blob_up = int(statistics.median(c.blob_up for c in self.counts))
        self.down = int(statistics.median(c.down for c in self.counts))
        self.rss_mb = max(s.rss_kib for s in self.samples) / 1024

    def judge(self) -> str:
        """The target cell of a dockyard row."""
        if self.seconds is None:
            if self.status.startswith(("error", "timeout")):
                return "FAIL (command failed)"
            return f"not checked ({self.status.split(' ')[0]})"
        checks: list[tuple[str, bool | None]] = []
        if self.op == "push":
            ok = None if self.ratio is None else self.ratio <= PUSH_RATIO_TARGET
            checks.append((f"<= {PUSH_RATIO_TARGET}x skopeo", ok))
        elif self.op == "repush":
            checks.append(("0 blob bytes up", self.blob_up == 0))
            checks.append((f"<= {REPUSH_SECONDS} s", self.seconds <= REPUSH_SECONDS))
        elif self.op == "pull":
            ok = None if self.ratio is None else self.ratio <= PULL_RATIO_TARGET
            checks.append((f"<= {PULL_RATIO_TARGET:g}x skopeo", ok))
        ok = None if self.rss_mb is None else self.rss_mb <= RSS_TARGET_MB
        checks.append((f"RSS <= {RSS_TARGET_MB:.0f} MB", ok))
        return verdict(checks)


def _version(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if done.returncode == 0 and lines else "n/a"


def _bytes(n: int | None) -> str:
    if n is None:
        return "-"
    return "0" if n == 0 else f"{n / 1024:.1f} KiB" if n < MIB else f"{n / MIB:.1f}"


class RegistrySuite:
    """One run of the registry suite: the rows, the store, the registries."""

    def __init__(self, out: Path, scratch: Path, args: argparse.Namespace) -> None:
        self.out, self.scratch = out, scratch / "registry"
        self.size_mb: int = args.size_mb
        self.repeat: int = args.repeat
        self.keep: bool = args.keep
        self.timeout: float = args.timeout or 300.0 + 3.0 * args.size_mb
        self.rows = {(op, tool): RegRow(op, tool, *OPERATIONS[op]) for op in OPERATIONS
                     for tool in TOOLS}  # fmt: skip
        self.ports: set[int] = set()
        self.notes: list[str] = []
        self.stack = contextlib.ExitStack()
        self.dy = peers.dockyard_base()
        self.skopeo = ["skopeo", "--insecure-policy", "copy", "-q"]
        self.archive = Path()
        self.store = self.scratch / "store"
        self.kept: dict[str, Path] = {}  # tool -> the store / OCI dir of its last pull
        self.env: dict[str, str] = {}
        self.source = ""  # the repository the pulls and copies read

    def run(self) -> None:
        """Measure every row (a row that cannot run gets its reason as status)."""
        self.scratch.mkdir(parents=True)
        self.env = private_env(self.scratch / "env")
        info = generate(self.out, self.size_mb)
        self.archive = Path(info.path)
        self.notes.append(f"image: {self.archive.name} ({info.bytes / MIB:.0f} MiB, "
                          f"{len(info.diff_ids)} layers)")  # fmt: skip
        self.notes.append(f"registry: {_version(['docker-registry', '--version'])}; crane: "
                          f"{_version(['crane', 'version'])}")  # fmt: skip
        for tool, why in self._unavailable().items():
            for op in OPERATIONS:
                self.rows[op, tool].status = f"n/a ({why})"
        try:
            with self.stack:
                main = self._push()
                for op, run in (("repush", self._repush), ("pull", self._pull),
                                ("present", self._present), ("copy-same", self._copy_same),
                                ("copy-other", self._copy_other)):  # fmt: skip
                    print(f"  {OPERATIONS[op][0]}:", flush=True)
                    run(main)
        except (OpFailed, Unavailable) as exc:
            for row in self.rows.values():
                if row.status == "ok" and not row.samples:
                    row.status = failure(exc)
        self._finish()

    def _unavailable(self) -> dict[str, str]:
        why: dict[str, str] = {}
        for tool in ("skopeo", "crane"):
            if shutil.which(tool) is None:
                why[tool] = f"{tool} not installed"
        for command in ("push", "pull", "copy"):
            reason = peers.dockyard_available(command, [])
            if reason is not None:
                why["dockyard"] = f"dockyard {command}: {reason}"
        return why

    def _registry(self, name: str) -> Registry:
        reg = Registry(self.scratch / name, self.ports)
        self.stack.callback(reg.stop)
        return reg

    def _drop(self, reg: Registry) -> None:
        reg.stop()
        if not self.keep:
            peers.remove(reg.root)

    def _discard(self, path: Path) -> None:
        if not self.keep:
            peers.remove(path)

    def _measure(
        self, op: str, tool: str, cmd: list[str], output: Path, reg: Registry, cold: bool,
        source: Registry | None = None,
    ) -> bool:  # fmt: skip
        """One timed run; ``reg`` counts the bytes (``source``, if given, those received)."""
        row = self.rows[op, tool]
        if row.status != "ok":
            return False
        reg.counts()
        if source is not None:
            source.counts()
        try:
            sample = peers.measure(cmd, output, timeout=self.timeout, cold=cold, env=self.env)
        except OpFailed as exc:
            row.status = failure(exc)
            print(f"    {tool}: {row.status}", flush=True)
            return False
        counts = reg.counts()
        if source is not None:
            counts.down = source.counts().down
        row.samples.append(sample)
        row.counts.append(counts)
        print(f"    {tool} #{len(row.samples)}: {sample.seconds:.2f} s, blobs up "
              f"{counts.blob_up / MIB:.1f} MB, down {counts.down / MIB:.1f} MB, peak RSS "
              f"{sample.rss_kib / 1024:.0f} MB", flush=True)  # fmt: skip
        return True

    def _check(self, op: str, tool: str, reg: Registry, repo: str, tag: str = "1") -> None:
        row = self.rows[op, tool]
        if row.status == "ok" and not reg.has(repo, tag):
            row.status = f"error (no manifest {repo}:{tag} afterwards)"

    def _order(self, i: int) -> list[str]:
        return list(TOOLS if i % 2 == 0 else reversed(TOOLS))

    # -- the operations -----------------------------------------------------------------

    def _push_cmd(self, tool: str, host: str) -> list[str]:
        ref = f"{host}/bench/push-{tool}:1"
        if tool == "dockyard":
            return [*self.dy, "--root", str(self.store), "push", "-q", ref]
        if tool == "skopeo":
            return [*self.skopeo, "--dest-tls-verify=false", f"docker-archive:{self.archive}",
                    f"docker://{ref}"]  # fmt: skip
        return ["crane", "push", "--insecure", str(self.archive), ref]

    def _push(self) -> Registry:
        """Push the image into a fresh registry per repetition; returns the last registry."""
        if self.rows["push", "dockyard"].status == "ok":
            print("  loading the image into a dockyard store (not timed)", flush=True)
            self._untimed([*self.dy[:1], "-c", COMPILE], list(OPERATIONS), "compileall")
            cmd = [*self.dy, "--root", str(self.store), "load", "-q", "-i", str(self.archive)]
            self._untimed(cmd, ["push", "repush"], "load")
        print(f"  {OPERATIONS['push'][0]}:", flush=True)
        for i in range(self.repeat):
            reg = self._registry(f"push-{i}")
            for tool in self._order(i):
                if tool == "dockyard" and self.rows["push", tool].status == "ok":
                    tag = [*self.dy, "--root", str(self.store), "tag", IMAGE_TAG,
                           f"{reg.host}/bench/push-dockyard:1"]  # fmt: skip
                    self._untimed(tag, ["push", "repush"], "tag")
                if self._measure("push", tool, self._push_cmd(tool, reg.host), reg.data, reg, True):
                    self._check("push", tool, reg, f"bench/push-{tool}")
            if i < self.repeat - 1:
                self._drop(reg)
        return reg

    def _untimed(self, cmd: list[str], ops: Iterable[str], what: str) -> None:
        """A dockyard step that is not measured; its failure fails the rows ``ops``."""
        try:
            peers.run_timed(cmd, timeout=self.timeout, env=self.env)
        except OpFailed as exc:
            for op in ops:
                if self.rows[op, "dockyard"].status == "ok":
                    self.rows[op, "dockyard"].status = f"unavailable ({what}: {exc})"

    def _source(self, main: Registry) -> str:
        """The image the pulls and copies read: the one dockyard pushed, else skopeo's."""
        if self.source:
            return self.source
        for tool in TOOLS:
            if main.has(f"bench/push-{tool}", "1"):
                self.source = f"bench/push-{tool}"
                self.notes.append(f"pulled and copied: {self.source}:1, pushed by {tool}")
                return self.source
        raise OpFailed("no pushed image to pull")

    def _repush(self, main: Registry) -> None:
        for i in range(self.repeat):
            for tool in self._order(i):
                self._measure("repush", tool, self._push_cmd(tool, main.host), main.data, main,
                              False)  # fmt: skip

    def _pull_cmd(self, tool: str, ref: str, dest: Path, tag: str) -> list[str]:
        if tool == "dockyard":
            return [*self.dy, "--root", str(dest), "pull", "-q", ref]
        if tool == "skopeo":
            return [*self.skopeo, "--src-tls-verify=false", f"docker://{ref}", f"oci:{dest}:{tag}"]
        return ["crane", "pull", "--insecure", "--format=oci", ref, str(dest)]

    def _pull(self, main: Registry) -> None:
        ref = f"{main.host}/{self._source(main)}:1"
        for i in range(self.repeat):
            for tool in self._order(i):
                dest = self.scratch / f"pull-{tool}-{i}"
                if self._measure("pull", tool, self._pull_cmd(tool, ref, dest, "1"), dest, main,
                                 True):  # fmt: skip
                    if tool in self.kept:
                        self._discard(self.kept[tool])
                    self.kept[tool] = dest

    def _present(self, main: Registry) -> None:
        repo = self._source(main)
        for i in range(self.repeat):
            main.copy_tag(repo, "1", f"again-{i}")
            for tool in self._order(i):
                if tool not in self.kept:
                    row = self.rows["present", tool]
                    if row.status == "ok":
                        row.status = "unavailable (its pull failed)"
                    continue
                cmd = self._pull_cmd(tool, f"{main.host}/{repo}:again-{i}", self.kept[tool],
                                     f"again-{i}")  # fmt: skip
                self._measure("present", tool, cmd, self.kept[tool], main, False)

    def _copy_cmd(self, tool: str, src: str, dst: str) -> list[str]:
        if tool == "dockyard":
            root = str(self.scratch / "copy-store")
            return [*self.dy, "--root", root, "copy", "-q", f"docker://{src}", f"docker://{dst}"]
        if tool == "skopeo":
            return [*self.skopeo, "--src-tls-verify=false", "--dest-tls-verify=false",
                    f"docker://{src}", f"docker://{dst}"]  # fmt: skip
        return ["crane", "copy", "--insecure", src, dst]

    def _copy_same(self, main: Registry) -> None:
        src = f"{main.host}/{self._source(main)}:1"
        for i in range(self.repeat):
            for tool in self._order(i):
                repo = f"bench/copy-{tool}-{i}"
                cmd = self._copy_cmd(tool, src, f"{main.host}/{repo}:1")
                if self._measure("copy-same", tool, cmd, main.data, main, True):
                    self._check("copy-same", tool, main, repo)

    def _copy_other(self, main: Registry) -> None:
        src = f"{main.host}/{self._source(main)}:1"
        for i in range(self.repeat):
            dest = self._registry(f"copy-{i}")
            try:
                for tool in self._order(i):
                    repo = f"bench/copy-{tool}"
                    cmd = self._copy_cmd(tool, src, f"{dest.host}/{repo}:1")
                    if self._measure("copy-other", tool, cmd, dest.data, dest, True, main):
                        self._check("copy-other", tool, dest, repo)
            finally:
                self._drop(dest)

    # -- the results --------------------------------------------------------------------

    def _finish(self) -> None:
        for row in self.rows.values():
            row.summarise()
        for (op, tool), row in self.rows.items():
            ref = self.rows[op, "skopeo"].seconds
            if row.seconds is not None and ref:
                row.ratio = row.seconds / ref
            if tool == "dockyard":
                row.target = row.judge()

    def render(self) -> str:
        """The markdown table of the suite, with its notes."""
        head = ["operation", "tool", "cache", "seconds", "blobs up MB", "down MB",
                "peak RSS MB", "vs skopeo", "target"]  # fmt: skip
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
        for row in self.rows.values():
            secs = f"{row.seconds:.2f}" if row.seconds is not None else row.status
            rss = "-" if row.rss_mb is None else f"{row.rss_mb:.0f}"
            ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
            cells = [row.label, row.tool, row.cache, secs.replace("|", "/"), _bytes(row.blob_up),
                     _bytes(row.down), rss, ratio, row.target or "-"]  # fmt: skip
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(["registry:", *self.notes, "", *lines])

    def results(self) -> dict[str, object]:
        """What goes into ``results.json``."""
        return {"registry": [asdict(r) for r in self.rows.values()], "registry_notes": self.notes}


def run_registry(out: Path, scratch: Path, args: argparse.Namespace) -> RegistrySuite:
    """Run the registry suite (see the module docstring)."""
    print("registry:", flush=True)
    suite = RegistrySuite(out, scratch, args)
    suite.run()
    return suite
