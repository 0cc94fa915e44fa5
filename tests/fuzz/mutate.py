"""Seeded mutations of real ``docker save`` archives.

Every mutation is a pure function of the base archive and a :class:`random.Random`, so a
case is reproduced from ``(seed, index)`` alone. Byte-level mutations (bit flips,
truncations, 512-byte block insertions and deletions) aim mostly at tar headers and the
JSON members, where the interesting code is; JSON rewrites decode one JSON member
(``manifest.json``, a config, ``index.json``, a manifest blob, ``repositories``), replace,
delete, duplicate or re-case one value deep inside, and write the archive again with the
member's new size.
"""

from __future__ import annotations

import io
import json
import random
import tarfile
from dataclasses import dataclass
from typing import Any

BLOCK = 512

#: Values a JSON rewrite puts in place of another: wrong types, Go's number limits,
#: paths that leave the archive, references of every shape.
HOSTILE_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 1.5, "", "x", [], {}, [None], [5], {"a": 1},
    9223372036854775807, 9223372036854775808, -9223372036854775809,
    "__NUM__1e30", "__NUM__-0.0", "__NUM__1E400", "__NUM__" + "9" * 5000,
    "/etc/passwd", "../../../../etc/shadow", "/", ".", "..", "a/../../b", "\u0000",
    "sha256:" + "0" * 64, "sha256:zz", "Upper/Case:1", "a" * 300, "ok/name:tag",
    "ok/name@sha256:" + "a" * 64, "\udcff", "ünï:cødé", "windows", "arm64",
    "2020-13-45T99:99:99Z", "0001-01-01T00:00:00Z",
)  # fmt: skip


@dataclass(frozen=True)
class Mutation:
    """A mutated archive and what was done to it (for the report of a failure)."""

    data: bytes
    description: str


@dataclass(frozen=True)
class Member:
    """Where a member's header and data are in the archive."""

    name: str
    header: int
    data: int
    size: int


def members(archive: bytes) -> list[Member]:
    """The members of an uncompressed archive (empty when it cannot be listed)."""
    found = []
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            for info in tar:
                found.append(Member(info.name, info.offset, info.offset_data, info.size))
    except (tarfile.TarError, EOFError, OSError):
        return []
    return found


def _is_json(member: Member, archive: bytes) -> bool:
    head = archive[member.data : member.data + 1]
    return member.size > 0 and head in (b"{", b"[")


def _interesting_offset(rng: random.Random, archive: bytes, listing: list[Member]) -> int:
    """A byte offset: usually in a header block or a JSON member, else anywhere."""
    choice = rng.random()
    if listing and choice < 0.45:
        member = rng.choice(listing)
        return member.header + rng.randrange(BLOCK)
    jsons = [m for m in listing if _is_json(m, archive)]
    if jsons and choice < 0.8:
        member = rng.choice(jsons)
        return member.data + rng.randrange(member.size)
    return rng.randrange(len(archive))


def bit_flips(rng: random.Random, archive: bytes, listing: list[Member]) -> Mutation:
    """Flip one to eight bits."""
    data = bytearray(archive)
    spots = []
    for _ in range(rng.randint(1, 8)):
        offset = _interesting_offset(rng, archive, listing)
        data[offset] ^= 1 << rng.randrange(8)
        spots.append(offset)
    return Mutation(bytes(data), f"bit flips at {spots}")


def truncation(rng: random.Random, archive: bytes, listing: list[Member]) -> Mutation:
    """Cut the archive short (near a member boundary, or anywhere)."""
    if listing and rng.random() < 0.5:
        member = rng.choice(listing)
        end = max(0, member.header + rng.randint(-3, BLOCK + 3))
    else:
        end = rng.randrange(len(archive))
    return Mutation(archive[:end], f"truncated at {end}")


def block_insertion(rng: random.Random, archive: bytes, listing: list[Member]) -> Mutation:
    """Insert a 512-byte block: zeros, random bytes, or a copy of a header."""
    at = rng.randrange(len(archive) // BLOCK + 1) * BLOCK
    kind = rng.choice(["zero", "random", "header"])
    if kind == "header" and listing:
        source = rng.choice(listing).header
        block = archive[source : source + BLOCK]
    elif kind == "random":
        block = rng.randbytes(BLOCK)
    else:
        block = bytes(BLOCK)
    return Mutation(archive[:at] + block + archive[at:], f"{kind} block inserted at {at}")


def block_deletion(rng: random.Random, archive: bytes, listing: list[Member]) -> Mutation:
    """Delete one to three 512-byte blocks (often a header)."""
    if listing and rng.random() < 0.6:
        at = rng.choice(listing).header
    else:
        at = rng.randrange(max(1, len(archive) // BLOCK)) * BLOCK
    count = rng.randint(1, 3)
    return Mutation(archive[:at] + archive[at + count * BLOCK :], f"{count} blocks deleted at {at}")


def _checksummed(block: bytearray) -> bytes:
    """A header block with its checksum recomputed (so the change gets past it)."""
    block[148:156] = b" " * 8
    block[148:156] = f"{sum(block):06o}\x00 ".encode()
    return bytes(block)


def _field(text: str, width: int) -> bytes:
    return text.encode("utf-8", "surrogateescape")[:width].ljust(width, b"\x00")


def header_rewrite(rng: random.Random, archive: bytes, listing: list[Member]) -> Mutation:
    """Rewrite a field of one header (valid checksum): name, type, link target or size."""
    if not listing:
        return bit_flips(rng, archive, listing)
    member = rng.choice(listing)
    other = rng.choice(listing).name
    block = bytearray(archive[member.header : member.header + BLOCK])
    action = rng.choice(["name", "type", "link", "size"])
    if action == "name":
        name = rng.choice(["/" + member.name, "../" + member.name, other, "/" + other,
                           "a/../../" + member.name, member.name + "/"])
        block[0:100] = _field(name, 100)
        what = f"renamed to {name!r}"
    elif action == "type":
        flag = rng.choice(b"0125")
        block[156] = flag
        block[157:257] = _field(rng.choice([other, "/" + other, "../" + other]), 100)
        what = f"type {chr(flag)!r} to {other!r}"
    elif action == "link":
        target = rng.choice(["/" + other, "../../" + other, other, "/", "", "a" * 99])
        block[157:257] = _field(target, 100)
        what = f"link target {target!r}"
    else:
        size = rng.choice([0, 1, member.size + 1, max(0, member.size - 1), 1 << 32])
        block[124:136] = f"{size:011o}\x00".encode()
        what = f"size {size}"
    data = archive[: member.header] + _checksummed(block) + archive[member.header + BLOCK :]
    return Mutation(data, f"{member.name}: header {what}")


# --- JSON rewrites ----------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a decoded JSON document."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:20]):
            found += _paths(item, (*prefix, index))
    return found


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def _encode(doc: Any, extra: tuple[int, str, Any] | None = None) -> bytes:
    """JSON text of ``doc``; ``"__NUM__<literal>"`` strings become bare number literals and
    ``extra`` (object id, key, value) adds one more pair at the end of that object."""
    return _dump(doc, extra).encode("utf-8", "surrogatepass")


def _dump(value: Any, extra: tuple[int, str, Any] | None) -> str:
    if isinstance(value, str) and value.startswith("__NUM__"):
        return value[len("__NUM__") :]
    if isinstance(value, dict):
        pairs = list(value.items())
        if extra is not None and extra[0] == id(value):
            pairs.append((extra[1], extra[2]))
        inner = (f"{json.dumps(k, ensure_ascii=False)}: {_dump(v, extra)}" for k, v in pairs)
        return "{" + ", ".join(inner) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v, extra) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _objects(value: Any) -> list[dict[str, Any]]:
    found = [value] if isinstance(value, dict) and value else []
    children = value.values() if isinstance(value, dict) else value
    for item in children if isinstance(value, dict | list) else []:
        found += _objects(item)
    return found


def rewrite_json(text: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Rewrite one value of a JSON document; returns the new text and what was done."""
    try:
        doc = json.loads(text)
    except ValueError:
        return text + b"x", "json member made invalid"
    action = rng.choice(["replace", "replace", "replace", "delete", "duplicate", "wrap"])
    objects = _objects(doc)
    if action == "duplicate" and objects:
        target = rng.choice(objects)
        key = rng.choice(list(target))
        spelling = key.swapcase() if rng.random() < 0.5 else key
        value = rng.choice((*HOSTILE_VALUES, target[key]))
        text = _encode(doc, (id(target), spelling, value))
        return text, f"duplicate key {spelling!r} := {str(value)[:40]!r}"
    paths = _paths(doc)
    path = rng.choice(paths)
    if not path:
        value = rng.choice(HOSTILE_VALUES)
        return _encode(value), f"document replaced by {str(value)[:40]!r}"
    parent, last = _get(doc, path[:-1]), path[-1]
    if action == "delete":
        del parent[last]
        return _encode(doc), f"deleted {path!r}"
    if action == "wrap":
        parent[last] = [parent[last]]
        return _encode(doc), f"wrapped {path!r} in an array"
    value = rng.choice(HOSTILE_VALUES)
    parent[last] = value
    return _encode(doc), f"{path!r} := {str(value)[:40]!r}"


def json_rewrite(rng: random.Random, archive: bytes, listing: list[Member]) -> Mutation:
    """Rewrite a value inside one JSON member and write the archive again."""
    jsons = [m for m in listing if _is_json(m, archive)]
    if not jsons:
        return bit_flips(rng, archive, listing)
    target = rng.choice(jsons)
    old = archive[target.data : target.data + target.size]
    new, what = rewrite_json(old, rng)
    return Mutation(replace_member(archive, target.name, new), f"{target.name}: {what}")


def replace_member(archive: bytes, name: str, data: bytes) -> bytes:
    """The archive with one member's data replaced (other members copied as they are)."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as src,
        tarfile.open(fileobj=out, mode="w:", format=src.format or tarfile.PAX_FORMAT) as dst,
    ):
        for info in src:
            if info.name == name and info.isfile():
                info.size = len(data)
                dst.addfile(info, io.BytesIO(data))
            else:
                dst.addfile(info, src.extractfile(info) if info.isfile() else None)
    return out.getvalue()


MUTATORS = (
    (bit_flips, 3),
    (header_rewrite, 2),
    (truncation, 1),
    (block_insertion, 1),
    (block_deletion, 1),
    (json_rewrite, 4),
)


def mutate(rng: random.Random, archive: bytes) -> Mutation:
    """One (sometimes two) random mutations of ``archive``."""
    listing = members(archive)
    functions = [f for f, weight in MUTATORS for _ in range(weight)]
    result = rng.choice(functions)(rng, archive, listing)
    if rng.random() < 0.15 and result.data:
        again = rng.choice(functions)(rng, result.data, members(result.data))
        result = Mutation(again.data, f"{result.description}; then {again.description}")
    return result
