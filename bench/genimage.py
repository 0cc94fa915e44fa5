"""Deterministic generation of a large `docker save` archive (Docker 20.10 legacy layout).

The archive holds one image, tagged ``bench/big:1``, with five layers:

1. ``base``: about 20,000 small files (text and binary) in a few hundred directories, plus a
   few symlinks;
2. ``blobs``: a few big files of incompressible random data;
3. ``logs``: compressible text (generated log lines);
4. ``mixed``: one random and one text file;
5. ``cleanup``: whiteouts (single files, a whole directory, an opaque directory) and a
   rewritten file.

Everything is streamed: each layer tar is written to a temporary file next to the archive
(hashed while it is written), then the outer archive is assembled in the order `docker save`
uses and the layer bytes are copied in by the kernel. Output depends only on the size and
the seed: fixed mtimes, owners and a seeded generator.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.tarstream import HashingWriter, TarStream

MIB = 1 << 20
CHUNK = MIB
GENERATOR_VERSION = 2
IMAGE_TAG = "bench/big:1"
CREATED = "2024-01-01T00:00:00Z"
CREATED_EPOCH = 1704067200

_LEVELS = ("INFO", "INFO", "INFO", "DEBUG", "DEBUG", "WARN", "ERROR")
_COMPONENTS = ("http", "db", "cache", "auth", "scheduler", "worker", "storage", "metrics")
_MESSAGES = (
    "request completed status=200 bytes={n}",
    "request completed status=404 bytes={n}",
    "cache miss key=user:{n} fetching from backend",
    "cache hit key=session:{n}",
    "query executed rows={n} table=orders",
    "connection pool size={n} idle=3 busy=5",
    "job {n} scheduled for execution in queue default",
    "retrying upstream call attempt={n} backoff=250ms",
    "token refreshed for client id={n}",
    "flushed {n} metrics to remote sink",
    "slow query detected duration={n}ms threshold=500ms",
    "worker heartbeat seq={n} load=0.42",
)


@dataclass(frozen=True)
class ArchiveInfo:
    """What was generated (also stored as JSON next to the archive to validate the cache)."""

    path: str
    size_mb: int
    seed: int
    generator_version: int
    bytes: int
    image_id: str
    diff_ids: list[str]
    layer_bytes: list[int]
    files: int


def random_chunks(seed: str, size: int) -> Iterator[bytes]:
    """Yield ``size`` bytes of deterministic, incompressible data in 1 MiB chunks."""
    counter = 0
    while size > 0:
        n = min(CHUNK, size)
        yield hashlib.shake_128(f"{seed}/{counter}".encode()).digest(n)
        counter += 1
        size -= n


def text_chunks(rng: random.Random, size: int) -> Iterator[bytes]:
    """Yield ``size`` bytes of generated log lines (compressible, not trivially repetitive)."""
    stamp = rng.randrange(86400 * 1000)
    while size > 0:
        n = min(CHUNK, size)
        lines: list[str] = []
        length = 0
        while length < n:
            stamp += rng.randrange(1, 40)
            secs, ms = divmod(stamp, 1000)
            hh, rest = divmod(secs % 86400, 3600)
            msg = rng.choice(_MESSAGES).format(n=rng.randrange(100000))
            line = (
                f"2024-01-01T{hh:02d}:{rest // 60:02d}:{rest % 60:02d}.{ms:03d}Z "
                f"{rng.choice(_LEVELS):<5} [{rng.choice(_COMPONENTS)}] "
                f"req={rng.getrandbits(32):08x} {msg}\n"
            )
            lines.append(line)
            length += len(line)
        data = "".join(lines).encode()[:n]
        yield data
        size -= n


def _small_file_count(size_mb: int) -> int:
    return max(500, min(20000, round(20000 * size_mb / 600)))


def _small_path(a: int, b: int, c: int) -> str:
    ext = ("txt", "bin", "py", "so")[c % 4]
    return f"usr/lib/bench/p{a:02d}/m{b}/f{c:03d}.{ext}"


def _layer_base(tar: TarStream, rng: random.Random, total: int, count: int) -> int:
    """Small files in many directories; returns the number of files added."""
    tar.add_dir("etc")
    tar.add_bytes("etc/bench.conf", b"# bench image\nmode=base\n")
    tar.add_bytes("etc/hostname", b"bench\n")
    for top in ("usr", "usr/lib", "usr/lib/bench", "usr/bin"):
        tar.add_dir(top)
    tar.add_symlink("usr/bin/sh", "busybox")
    tar.add_symlink("usr/lib/bench/current", "p00")
    avg = max(100, min(8000, int(0.12 * total / count) - 512 - 256))
    per_dir = 100
    dirs = (count + per_dir - 1) // per_dir
    made = 0
    for d in range(dirs):
        a, b = divmod(d, 10)
        if b == 0:
            tar.add_dir(f"usr/lib/bench/p{a:02d}")
        tar.add_dir(f"usr/lib/bench/p{a:02d}/m{b}")
        for c in range(min(per_dir, count - made)):
            size = rng.randrange(1, 2 * avg)
            name = _small_path(a, b, c)
            if c % 2:
                data = hashlib.shake_128(name.encode()).digest(size)
            else:
                data = next(text_chunks(rng, size))
            tar.add_bytes(name, data)
            made += 1
    return made + 4


def _layer_blobs(tar: TarStream, budget: int) -> int:
    tar.add_dir("opt")
    tar.add_dir("opt/data")
    parts = (budget * 5 // 10, budget * 3 // 10)
    sizes = (*parts, budget - sum(parts))
    for i, size in enumerate(sizes):
        tar.add_stream(f"opt/data/blob-{i}.bin", size, random_chunks(f"blob-{i}", size))
    return len(sizes)


def _layer_logs(tar: TarStream, rng: random.Random, budget: int) -> int:
    for d in ("var", "var/log", "var/log/bench"):
        tar.add_dir(d)
    files = 4
    for i in range(files):
        size = budget // files if i < files - 1 else budget - (files - 1) * (budget // files)
        tar.add_stream(f"var/log/bench/app-{i}.log", size, text_chunks(rng, size))
    return files


def _layer_mixed(tar: TarStream, rng: random.Random, budget: int) -> int:
    tar.add_dir("opt")
    tar.add_dir("opt/mixed")
    half = budget // 2
    tar.add_stream("opt/mixed/model.bin", half, random_chunks("mixed", half))
    tar.add_stream("opt/mixed/trace.log", budget - half, text_chunks(rng, budget - half))
    return 2


def _layer_cleanup(tar: TarStream, rng: random.Random, count: int) -> int:
    """Whiteouts over the earlier layers, plus one rewritten and a few new files."""
    tar.add_dir("etc")
    tar.add_bytes("etc/bench.conf", b"# bench image\nmode=final\n")
    entries = 1
    dirs = (count + 99) // 100
    tar.add_dir("usr")
    tar.add_dir("usr/lib")
    tar.add_dir("usr/lib/bench")
    for d in range(dirs):
        a, b = divmod(d, 10)
        if b == 0:
            tar.add_dir(f"usr/lib/bench/p{a:02d}")
            if dirs > 11 and a == 1:  # delete a whole directory
                tar.add_bytes(f"usr/lib/bench/p{a:02d}/.wh.m4", b"")
                entries += 1
        if d % 7 == 3 and not (dirs > 11 and a == 1 and b == 4):
            mdir = f"usr/lib/bench/p{a:02d}/m{b}"
            tar.add_dir(mdir)
            present = min(100, count - d * 100)
            for c in sorted(rng.sample(range(present), min(5, present))):
                tar.add_bytes(f"{mdir}/.wh.{_small_path(a, b, c).rsplit('/', 1)[1]}", b"")
                entries += 1
    tar.add_dir("usr/lib/bench/p00/m1")  # opaque: hides every file of the lower layers
    tar.add_bytes("usr/lib/bench/p00/m1/.wh..wh..opq", b"")
    for i in range(3):
        tar.add_bytes(f"usr/lib/bench/p00/m1/new-{i}.txt", f"replacement {i}\n".encode())
    for sub in ("var", "var/log", "var/log/bench"):
        tar.add_dir(sub)
    tar.add_bytes("var/log/bench/.wh.app-3.log", b"")
    return entries + 5


def _write_layer(
    path: Path, build: str, rng: random.Random, budget: int, count: int
) -> tuple[str, int, int]:
    """Write one layer tar; returns (diff_id, byte length, file count)."""
    with path.open("wb", buffering=CHUNK) as raw:
        out = HashingWriter(raw)
        tar = TarStream(out, CREATED_EPOCH)
        if build == "base":
            files = _layer_base(tar, rng, budget, count)
        elif build == "blobs":
            files = _layer_blobs(tar, budget)
        elif build == "logs":
            files = _layer_logs(tar, rng, budget)
        elif build == "mixed":
            files = _layer_mixed(tar, rng, budget)
        else:
            files = _layer_cleanup(tar, rng, count)
        tar.close()
        raw.flush()
        os.fsync(raw.fileno())
    return "sha256:" + out.sha.hexdigest(), out.count, files


_HISTORY = {
    "base": "/bin/sh -c #(nop) ADD file:base-files.tar in / ",
    "blobs": "/bin/sh -c #(nop) COPY dir:data in /opt/data/ ",
    "logs": "/bin/sh -c #(nop) COPY dir:logs in /var/log/bench/ ",
    "mixed": "/bin/sh -c #(nop) COPY dir:mixed in /opt/mixed/ ",
    "cleanup": "/bin/sh -c rm -rf /var/log/bench/app-3.log /usr/lib/bench/p01/m4 && echo final",
}


def image_config(diff_ids: list[str]) -> bytes:
    """Return the raw image config bytes for the given layer DiffIDs."""
    history: list[dict[str, object]] = [
        {"created": CREATED, "created_by": cmd} for cmd in _HISTORY.values()
    ]
    cmd = '/bin/sh -c #(nop)  CMD ["/bin/sh"]'
    history.append({"created": CREATED, "created_by": cmd, "empty_layer": True})
    config = {
        "architecture": "amd64",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["/bin/sh"],
            "WorkingDir": "/",
        },
        "created": CREATED,
        "history": history,
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    return json.dumps(config, separators=(",", ":")).encode()


def _v1_json(v1id: str, parent: str | None, top: bool) -> bytes:
    doc: dict[str, object] = {"id": v1id}
    if parent:
        doc["parent"] = parent
    doc["created"] = CREATED if top else "1970-01-01T00:00:00Z"
    doc["container_config"] = {"Cmd": None}
    if top:
        doc["config"] = {"Cmd": ["/bin/sh"]}
        doc["architecture"] = "amd64"
    doc["os"] = "linux"
    return json.dumps(doc, separators=(",", ":")).encode()


def generate(out_dir: Path, size_mb: int, seed: int = 20240101) -> ArchiveInfo:
    """Generate (or reuse from the cache) the benchmark archive in ``out_dir``.

    Args:
        out_dir: Directory for the archive and its metadata; created if needed.
        size_mb: Approximate archive size in MiB.
        seed: Seed of the random generator (the output depends only on size and seed).

    Returns:
        A description of the archive.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"big-{size_mb}m-s{seed}"
    archive, meta = out_dir / f"{stem}.tar", out_dir / f"{stem}.json"
    if archive.is_file() and meta.is_file():
        try:
            cached = ArchiveInfo(**json.loads(meta.read_text()))
        except (ValueError, TypeError):
            cached = None
        if (
            cached is not None
            and cached.generator_version == GENERATOR_VERSION
            and cached.bytes == archive.stat().st_size
        ):
            return cached
    rng = random.Random(seed)
    total = size_mb * MIB
    count = _small_file_count(size_mb)
    rest = max(total - int(0.12 * total) - 64 * 1024, 3 * MIB)
    plan = [
        ("base", total),
        ("blobs", rest * 45 // 100),
        ("logs", rest * 35 // 100),
        ("mixed", rest * 20 // 100),
        ("cleanup", 0),
    ]
    work = out_dir / f".{stem}.partial"
    work.mkdir(exist_ok=True)
    diff_ids: list[str] = []
    sizes: list[int] = []
    files = 0
    layer_paths: list[Path] = []
    try:
        for i, (build, budget) in enumerate(plan):
            path = work / f"layer-{i}.tar"
            diff_id, length, n = _write_layer(path, build, rng, budget, count)
            diff_ids.append(diff_id)
            sizes.append(length)
            files += n
            layer_paths.append(path)
        config = image_config(diff_ids)
        image_hex = hashlib.sha256(config).hexdigest()
        v1ids = [
            hashlib.sha256(f"bench-v1/{i}/{d}/{seed}".encode()).hexdigest()
            for i, d in enumerate(diff_ids)
        ]
        manifest = [
            {
                "Config": f"{image_hex}.json",
                "RepoTags": [IMAGE_TAG],
                "Layers": [f"{v}/layer.tar" for v in v1ids],
            }
        ]
        repo, tag = IMAGE_TAG.split(":")
        repositories = {repo: {tag: v1ids[-1]}}
        tmp_archive = work / "archive.tar"
        with tmp_archive.open("wb", buffering=0) as raw:
            tar = TarStream(raw, CREATED_EPOCH)
            top: list[tuple[str, int]] = [(v, i) for i, v in enumerate(v1ids)]
            top += [(f"{image_hex}.json", -1), ("manifest.json", -2), ("repositories", -3)]
            for name, idx in sorted(top):
                tar.mtime = CREATED_EPOCH
                if idx >= 0:
                    parent = v1ids[idx - 1] if idx > 0 else None
                    tar.add_dir(name)
                    tar.add_bytes(f"{name}/VERSION", b"1.0")
                    tar.add_bytes(f"{name}/json", _v1_json(name, parent, idx == len(v1ids) - 1))
                    tar.add_file(f"{name}/layer.tar", layer_paths[idx], raw.fileno())
                elif idx == -1:
                    tar.add_bytes(name, config)
                else:
                    tar.mtime = 0
                    doc: object = manifest if idx == -2 else repositories
                    tar.add_bytes(name, (json.dumps(doc, separators=(",", ":")) + "\n").encode())
            tar.close()
            os.fsync(raw.fileno())
        os.replace(tmp_archive, archive)
    finally:
        for path in work.iterdir():
            path.unlink()
        work.rmdir()
    info = ArchiveInfo(
        path=str(archive),
        size_mb=size_mb,
        seed=seed,
        generator_version=GENERATOR_VERSION,
        bytes=archive.stat().st_size,
        image_id="sha256:" + image_hex,
        diff_ids=diff_ids,
        layer_bytes=sizes,
        files=files,
    )
    meta.write_text(json.dumps(asdict(info), indent=2) + "\n")
    return info
