"""Where layers came from: Docker's distribution metadata, kept beside the image store.

::

    image/dockyard/distribution/diffid-by-digest/sha256/<blob hex>      the DiffID
    image/dockyard/distribution/v2metadata-by-diffid/sha256/<diff hex>  JSON list

Exactly Docker's files (moby ``distribution/metadata``): a pull records, for every layer,
the compressed blob it came as and the repository it came from; a push records what it
uploaded. A later push to the same registry then asks the registry whether it has the blob
(or mounts it from the repository it came from) instead of compressing and uploading the
layer again. The newest 50 entries per DiffID are kept, as Docker does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dockyard.digest import DiffID, Digest

if TYPE_CHECKING:
    from pathlib import Path

    from dockyard.store.layout import Layout
    from dockyard.store.txn import Transaction

__all__ = ["MAX_METADATA", "V2Metadata", "add_metadata", "hmac_key", "read_metadata"]

#: Entries kept per DiffID (moby ``maxMetadata``).
MAX_METADATA = 50
_DIR_MODES = (0o755, 0o644)


@dataclass(frozen=True, slots=True)
class V2Metadata:
    """One place a layer is known to be, as a compressed blob.

    Attributes:
        digest: the blob's digest.
        source_repository: the full repository name (``docker.io/library/busybox``).
        hmac: an HMAC tying the entry to the credentials used ("" without credentials).
    """

    digest: Digest
    source_repository: str
    hmac: str = ""

    def to_go(self) -> dict[str, str]:
        """The JSON object as Go marshals moby's struct."""
        return {"Digest": str(self.digest), "SourceRepository": self.source_repository,
                "HMAC": self.hmac}  # fmt: skip


def _root(layout: Layout) -> Path:
    return layout.image_dir / "distribution"


def _by_diffid(layout: Layout, diff_id: str) -> Path:
    return _root(layout) / "v2metadata-by-diffid" / "sha256" / Digest(diff_id).hex


def _by_digest(layout: Layout, digest: str) -> Path:
    return _root(layout) / "diffid-by-digest" / "sha256" / Digest(digest).hex


def read_metadata(layout: Layout, diff_id: str) -> list[V2Metadata]:
    """The known blobs of a layer, oldest first ([] when none or unreadable)."""
    try:
        doc: Any = json.loads(_by_diffid(layout, diff_id).read_bytes())
    except (OSError, ValueError):
        return []
    out: list[V2Metadata] = []
    for item in doc if isinstance(doc, list) else []:
        try:
            out.append(V2Metadata(Digest(item["Digest"]), str(item["SourceRepository"]),
                                  str(item.get("HMAC") or "")))  # fmt: skip
        except (KeyError, TypeError, ValueError):
            continue
    return out


def read_diff_id(layout: Layout, digest: str) -> DiffID | None:
    """The DiffID a compressed blob decompresses to, when a pull or push recorded it."""
    try:
        return DiffID(Digest(_by_digest(layout, digest).read_text("ascii").strip()))
    except (OSError, ValueError):
        return None


def add_metadata(tx: Transaction, diff_id: DiffID, entry: V2Metadata) -> None:
    """Record ``entry`` for a layer in the transaction (newest last, at most 50)."""
    layout = tx.layout
    path = _by_diffid(layout, diff_id)
    pending = tx.changes.files.get(path)
    if pending is not None:  # written earlier in this transaction
        current = [
            V2Metadata(Digest(i["Digest"]), i["SourceRepository"], i["HMAC"])
            for i in json.loads(pending[0])
        ]
    else:
        current = read_metadata(layout, diff_id)
    entries = [e for e in current if e != entry] + [entry]
    data = json.dumps([e.to_go() for e in entries[-MAX_METADATA:]], separators=(",", ":"))
    _ensure_dirs(tx, path.parent)
    tx.put_file(path, data.encode(), _DIR_MODES[1])
    reverse = _by_digest(layout, entry.digest)
    _ensure_dirs(tx, reverse.parent)
    tx.put_file(reverse, str(diff_id).encode(), _DIR_MODES[1])


def _ensure_dirs(tx: Transaction, directory: Path) -> None:
    """Create the namespace directories (``distribution`` itself is 0700, as in moby)."""
    missing = []
    current = directory
    root = _root(tx.layout)
    while not current.exists() and current != root.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        tx.changes.put_dir(path, 0o700 if path == root else _DIR_MODES[0])


def hmac_key(auth: dict[str, str] | None) -> bytes:
    """Moby's HMAC key for the credentials of a push: the digest of their reduced JSON.

    Without credentials Docker still hashes an empty object (``{}``), so its push entries
    always carry an HMAC; only pulls record entries without one.
    """
    auth = auth or {}
    reduced = {k: auth[k] for k in ("username", "password", "auth", "identitytoken",
                                    "registrytoken") if auth.get(k)}  # fmt: skip
    text = json.dumps(reduced, separators=(",", ":"))
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()}".encode()


def tagged(entry: V2Metadata, key: bytes) -> V2Metadata:
    """``entry`` with its HMAC computed from ``key`` (empty without a key)."""
    if not key:
        return V2Metadata(entry.digest, entry.source_repository, "")
    mac = hmac.new(key, str(entry.digest).encode() + entry.source_repository.encode(),
                   hashlib.sha256)  # fmt: skip
    return V2Metadata(entry.digest, entry.source_repository, mac.hexdigest())
