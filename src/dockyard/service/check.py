"""Verify a whole store and optionally repair it (``fsck``).

``check`` reads Docker's files themselves, not the index: every config is re-hashed and
parsed, every layer payload re-hashed, every tag, parent link and layer chain followed.
Every problem names the exact file or directory concerned, so that a message such as
Docker's bare ``layer does not exist`` never leaves the user guessing which file is gone.
What a killed command left in ``tmp/`` is debris, not a problem: the next command that
writes removes it (``--repair`` does too).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard._atomic import TEMP_PREFIX
from dockyard.digest import Digest, is_valid_hex
from dockyard.layer.model import verify_payload
from dockyard.reference import parse_normalized_named
from dockyard.store.downloads import DOWNLOADS, Downloads
from dockyard.store.scratch import PREFIXES, live_scratch

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.store.layout import Layout
    from dockyard.store.records import ImageRow, LayerRow
    from dockyard.store.txn import Transaction
    from dockyard.store.view import View

__all__ = ["KINDS", "CheckProblem", "CheckReport", "check_store"]

#: Problem kinds, in the order they are reported.
KINDS = (
    "tampered-image",
    "invalid-image",
    "missing-layer",
    "dangling-parent",
    "dangling-tag",
    "corrupt-layer",
    "invalid-layer",
    "unreferenced-layer",
    "leftover",
)
_BROKEN_IMAGE = frozenset({"tampered-image", "invalid-image", "missing-layer", "corrupt-layer"})


@dataclass(frozen=True, slots=True)
class CheckProblem:
    """One thing wrong with the store.

    Attributes:
        kind: one of :data:`KINDS`.
        path: the file or directory concerned.
        detail: what is wrong, in words.
        subject: the image ID, chain ID or reference concerned ("" for leftovers).
    """

    kind: str
    path: Path
    detail: str
    subject: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.detail}"


@dataclass(slots=True)
class CheckReport:
    """The outcome of :func:`check_store`.

    Attributes:
        problems: everything found wrong, before any repair.
        actions: what the repair did, one line per removal (empty without repair).
        debris: scratch space killed commands left (removed by the next write).
        images: number of images checked.
        layers: number of layers checked.
    """

    problems: list[CheckProblem] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    debris: list[Path] = field(default_factory=list)
    images: int = 0
    layers: int = 0

    @property
    def clean(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def of_kind(self, kind: str) -> list[CheckProblem]:
        """The problems of one kind."""
        return [p for p in self.problems if p.kind == kind]


def check_store(client: Client, *, repair: bool = False) -> CheckReport:
    """Verify every image config, layer payload, tag, layer chain and parent link.

    Also reports leftovers (temporary files, ``-removing`` directories, payload
    directories no layer uses, unknown files in ``tmp/``) and layers no image or child
    layer uses. With ``repair``, in one transaction, broken images (tampered config,
    missing or corrupt layer) are removed with their tags, dangling tags and parent links
    are dropped, unreferenced layers and leftovers are removed; each removal is listed in
    :attr:`CheckReport.actions`. Intact images are never touched.

    Raises:
        StorageError: the store cannot be read or (with ``repair``) written.
        StoreReadOnly: ``repair`` on a store that cannot be written.
    """
    if not repair:
        with client.view():
            pass  # finishes a commit a dead writer left, when that is possible
        with client.store.truth() as view:
            return _scan(view)
    with client.transaction() as tx:
        tx.reindex()
        report = _scan(tx.view)
        if report.problems:
            _repair(tx, report)
    freed = Downloads(client.layout).clear()
    if freed:
        report.actions.append(f"removed {freed} bytes of interrupted downloads")
    return report


def _scan(view: View) -> CheckReport:
    layout = view.layout
    report = CheckReport()
    layers: dict[str, LayerRow] = {str(c): row for c, row in view.layers().items()}
    report.layers = len(layers)
    for kind, subject, where, detail in view.problems():
        report.problems.append(CheckProblem(kind, Path(where), detail, subject))
    corrupt: dict[str, str] = {}
    for chain, layer in sorted(layers.items()):
        reason = verify_payload(view.payload(layer), layer.diff_id)
        if reason is not None:
            corrupt[chain] = reason
    usable: dict[str, ImageRow] = {str(row.id): row for row in view.images()}
    report.images = len(usable) + len(view.broken_images())
    intact: set[str] = set()
    flagged: set[str] = set()
    for image_id, row in sorted(usable.items()):
        bad = [c for c in _chain(layers, row.chain) if c in corrupt]
        for chain in bad:
            detail = f"layer {chain} of image {image_id} is corrupt"
            payload = view.payload(layers[chain])
            report.problems.append(CheckProblem("corrupt-layer", payload, detail, image_id))
            flagged.add(chain)
        if not bad:
            intact.add(image_id)
    for chain, reason in sorted(corrupt.items()):
        if chain not in flagged:
            detail = f"layer {chain}: {reason}"
            payload = view.payload(layers[chain])
            report.problems.append(CheckProblem("corrupt-layer", payload, detail, chain))
    for image_id in sorted(intact):
        parent = usable[image_id].parent
        if parent and parent not in intact:
            parent_file = layout.metadata_dir(Digest(image_id).hex) / "parent"
            detail = f"parent {parent} of image {image_id} does not exist"
            report.problems.append(CheckProblem("dangling-parent", parent_file, detail, image_id))
    for ref in view.all_refs():
        if str(ref.image_id) not in intact:
            state = "broken" if layout.config_path(ref.image_id.hex).is_file() else "missing"
            detail = f"tag {ref.name} points to {state} image {ref.image_id}"
            report.problems.append(
                CheckProblem("dangling-tag", layout.repositories, detail, ref.full)
            )
    used = {str(row.chain) for row in usable.values() if row.chain}
    used |= {str(layer.parent) for layer in layers.values() if layer.parent}
    for chain in sorted(layers):
        if chain not in used:
            layer_dir = layout.layer_dir(Digest(chain).hex)
            detail = f"layer {chain} is used by no image and no child layer"
            report.problems.append(CheckProblem("unreferenced-layer", layer_dir, detail, chain))
    _leftovers(layout, report)
    report.problems.sort(key=lambda p: KINDS.index(p.kind))
    return report


def _chain(layers: dict[str, LayerRow], top: str | None) -> list[str]:
    out: list[str] = []
    current = top
    while current and current in layers:
        out.append(current)
        current = layers[current].parent
    return out


def _leftovers(layout: Layout, report: CheckReport) -> None:
    found: list[tuple[Path, str]] = []
    for name in _names(layout.content):
        if not is_valid_hex(name):
            found.append((layout.content / name, "not an image config"))
    for name in _names(layout.metadata):
        if not (layout.content / name).is_file():
            why = "metadata of an image whose config does not exist"
            found.append((layout.metadata / name, why))
        else:
            found += [
                (layout.metadata / name / e, "temporary file")
                for e in _names(layout.metadata / name)
                if e.startswith(TEMP_PREFIX)
            ]
    for name in _names(layout.layerdb / "tmp"):
        found.append((layout.layerdb / "tmp" / name, "unfinished layer transaction"))
    referenced = set()
    for name in _names(layout.layers):
        if name.endswith("-removing"):
            found.append((layout.layers / name, "interrupted layer removal"))
        elif name.startswith(TEMP_PREFIX):
            found.append((layout.layers / name, "temporary file"))
        else:
            referenced.add(_cache_id(layout.layers / name))
    for name in _names(layout.data):
        if name not in referenced:
            found.append((layout.data / name, "layer data without a layer"))
        else:
            found += [(layout.data / name / e, "temporary file")
                      for e in _names(layout.data / name) if e.startswith(TEMP_PREFIX)]  # fmt: skip
    live = live_scratch(layout)
    for name in _names(layout.tmp):
        path = layout.tmp / name
        if name == DOWNLOADS:
            continue  # blobs kept so that an interrupted pull resumes (prune removes them)
        if name.startswith((*PREFIXES, ".new-")):
            if path not in live:
                report.debris.append(path)
        else:
            found.append((path, "unknown file in the scratch directory"))
    for directory in (layout.root, layout.image_dir):
        found += [(directory / n, "temporary file")
                  for n in _names(directory) if n.startswith(TEMP_PREFIX)]  # fmt: skip
    report.problems.extend(CheckProblem("leftover", path, why) for path, why in found)


def _cache_id(layer_dir: Path) -> str:
    try:
        return (layer_dir / "cache-id").read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _names(directory: Path) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except OSError:
        return []


def _repair(tx: Transaction, report: CheckReport) -> None:
    view = tx.view
    broken = sorted(
        {
            p.subject
            for p in report.problems
            if p.kind in _BROKEN_IMAGE and p.subject.startswith("sha256:")
        }
    )
    for image_id in broken:
        for ref in view.references(image_id):
            tx.delete_reference(ref)
        if view.image_any(image_id) is not None:
            tx.delete_image(image_id)
        else:
            tx.remove_path(tx.layout.config_path(Digest(image_id).hex))
        report.actions.append(f"removed image {image_id}")
    for problem in report.of_kind("dangling-tag"):
        row = next((r for r in view.all_refs() if r.full == problem.subject), None)
        if row is None:
            continue
        tx.delete_reference(parse_normalized_named(row.full))
        report.actions.append(f"removed tag {row.name} from {problem.path}")
    for problem in report.of_kind("dangling-parent"):
        if problem.subject not in broken and view.image_any(problem.subject) is not None:
            tx.remove_path(problem.path)
            tx.conn.execute("UPDATE images SET parent = NULL WHERE id = ?", (problem.subject,))
            report.actions.append(f"removed {problem.path}")
    for problem in report.of_kind("leftover") + report.of_kind("invalid-layer"):
        if problem.kind == "invalid-layer":
            cache_id = _cache_id(problem.path)
            if cache_id and "/" not in cache_id and cache_id not in (".", ".."):
                tx.remove_path(tx.layout.data / cache_id)
        tx.remove_path(problem.path)
        report.actions.append(f"removed {problem.path}")
    for layer in list(view.layers().values()):
        if view.layer(layer.chain_id) is not None and not view.layer_in_use(layer.chain_id):
            for released in tx.release_layer(layer.chain_id):
                report.actions.append(f"removed layer {released.chain_id}")
