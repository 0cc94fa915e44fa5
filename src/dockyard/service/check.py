"""Verify a whole store and optionally repair it (``fsck``).

Every problem names the exact file or directory concerned, so that a message such as
Docker's bare ``layer does not exist`` never leaves the user guessing which file is gone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard._atomic import TEMP_PREFIX, remove_tree
from dockyard.digest import ChainID, Digest, ImageID, chain_ids, is_valid_hex
from dockyard.errors import DigestMismatch, DockyardError
from dockyard.image import Image
from dockyard.layer import LayerInfo, LayerProblem
from dockyard.layer.filestore import PAYLOAD_NAME

if TYPE_CHECKING:
    from dockyard.client import Client

__all__ = ["CheckProblem", "CheckReport", "check_store"]

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
        images: number of images checked.
        layers: number of layers checked.
    """

    problems: list[CheckProblem] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
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
    directories no layer uses) and layers no image or child layer uses. With
    ``repair``, under the store's exclusive lock, broken images (tampered config, missing
    or corrupt layer) are removed with their tags, dangling tags and parent links are
    dropped, unreferenced layers are released and leftovers deleted; each removal is
    listed in :attr:`CheckReport.actions`. Intact images are never touched.

    Args:
        client: the store.
        repair: remove what is broken or orphaned.

    Returns:
        The report.

    Raises:
        StorageError: the store cannot be read or (with ``repair``) written.
    """
    with client.lock.exclusive():
        client.refresh()
        report = _scan(client)
        if repair and report.problems:
            _repair(client, report)
            client.lock.mark_changed()
            client.image_store.restore(reload_layers=client.layer_store.reload)
            client.reference_store.reload()
    return report


def _scan(client: Client) -> CheckReport:
    report = CheckReport()
    backend = client.backend
    content = backend.root / "content" / "sha256"
    metadata = backend.root / "metadata" / "sha256"
    layer_map = client.layer_store.map()
    corrupt = {p.name: p for p in client.layer_store.check()}
    intact: set[ImageID] = set()
    for name in _names(content):
        path = content / name
        if not is_valid_hex(name):
            report.problems.append(CheckProblem("leftover", path, "not an image config"))
            continue
        image_id = ImageID(Digest.from_hex(name))
        report.images += 1
        try:
            img = Image.from_json(backend.get(image_id))
        except DigestMismatch:
            report.problems.append(
                CheckProblem("tampered-image", path, f"failed to verify: {image_id}", image_id)
            )
            continue
        except DockyardError as exc:
            report.problems.append(CheckProblem("invalid-image", path, str(exc), image_id))
            continue
        chains = chain_ids(img.rootfs.diff_ids) if img.rootfs is not None else []
        broken = False
        for chain in chains:
            layer_dir = _layerdb(client) / "sha256" / chain.hex
            if chain not in layer_map:
                detail = f"layer {chain} does not exist (needed by image {image_id})"
                report.problems.append(CheckProblem("missing-layer", layer_dir, detail, image_id))
                broken = True
                break
            if chain.hex in corrupt:
                detail = f"layer {chain} of image {image_id} is corrupt"
                payload = corrupt[chain.hex].path
                report.problems.append(CheckProblem("corrupt-layer", payload, detail, image_id))
                broken = True
        if not broken:
            intact.add(image_id)
    for image_id in sorted(intact):
        parent_file = metadata / image_id.hex / "parent"
        try:
            parent = parent_file.read_text("ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if not parent.removeprefix("sha256:") or parent.removeprefix("sha256:") not in {
            i.hex for i in intact
        }:
            detail = f"parent {parent} of image {image_id} does not exist"
            report.problems.append(CheckProblem("dangling-parent", parent_file, detail, image_id))
    for name in _names(metadata):
        if not (content / name).is_file():
            detail = "metadata of an image whose config does not exist"
            report.problems.append(CheckProblem("leftover", metadata / name, detail))
        else:
            for entry in _names(metadata / name):
                if entry.startswith(TEMP_PREFIX):
                    path = metadata / name / entry
                    report.problems.append(CheckProblem("leftover", path, "temporary file"))
    for assoc in client.reference_store:
        if assoc.image_id not in intact:
            state = "broken" if (content / assoc.image_id.hex).is_file() else "missing"
            detail = f"tag {assoc.ref.familiar_string()} points to {state} image {assoc.image_id}"
            path = client.reference_store.path
            report.problems.append(CheckProblem("dangling-tag", path, detail, str(assoc.ref)))
    _scan_layers(client, report, layer_map, corrupt)
    _scan_leftovers(client, report)
    return report


def _scan_layers(
    client: Client,
    report: CheckReport,
    layer_map: dict[ChainID, LayerInfo],
    corrupt: dict[str, LayerProblem],
) -> None:
    report.layers = len(layer_map)
    for problem in client.layer_store.problems:
        report.problems.append(
            CheckProblem("invalid-layer", problem.path, problem.reason, problem.name)
        )
    for name, problem in corrupt.items():
        if not any(p.kind == "corrupt-layer" and p.path == problem.path for p in report.problems):
            detail = f"layer sha256:{name}: {problem.reason}"
            report.problems.append(CheckProblem("corrupt-layer", problem.path, detail, name))
    for chain, info in client.layer_store.map().items():
        if info.ref_count == 0:
            path = _layerdb(client) / "sha256" / chain.hex
            detail = f"layer {chain} is used by no image and no child layer"
            report.problems.append(CheckProblem("unreferenced-layer", path, detail, chain))


def _scan_leftovers(client: Client, report: CheckReport) -> None:
    layerdb = _layerdb(client)
    data = client.root / "dockyard"
    referenced = {_cache_id(layerdb / "sha256" / n) for n in _names(layerdb / "sha256")}
    found: list[tuple[Path, str]] = []
    found += [
        (layerdb / "tmp" / n, "unfinished layer transaction") for n in _names(layerdb / "tmp")
    ]
    for name in _names(layerdb / "sha256"):
        if name.endswith("-removing"):
            found.append((layerdb / "sha256" / name, "interrupted layer removal"))
        elif name.startswith(TEMP_PREFIX):
            found.append((layerdb / "sha256" / name, "temporary file"))
    for name in _names(data):
        if name not in referenced:
            found.append((data / name, "layer data without a layer"))
        elif (data / name / f"{TEMP_PREFIX}{PAYLOAD_NAME}").exists():
            found.append((data / name / f"{TEMP_PREFIX}{PAYLOAD_NAME}", "temporary file"))
    found += [(client.tmp_dir / n, "scratch space of an operation") for n in _names(client.tmp_dir)]
    for directory in (client.root, client.root / "image" / "dockyard"):
        found += [(directory / n, "temporary file") for n in _names(directory)
                  if n.startswith(TEMP_PREFIX)]  # fmt: skip
    report.problems.extend(CheckProblem("leftover", path, why) for path, why in found)


def _layerdb(client: Client) -> Path:
    return client.root / "image" / "dockyard" / "layerdb"


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


def _repair(client: Client, report: CheckReport) -> None:
    images, layers = client.image_store, client.layer_store
    content = client.backend.root / "content" / "sha256"
    metadata = client.backend.root / "metadata" / "sha256"
    broken = {
        p.subject
        for p in report.problems
        if p.kind in _BROKEN_IMAGE and p.subject.startswith("sha256:")
    }
    for image_id in sorted(broken):
        if image_id in images:
            images.delete(image_id)
        remove_tree(metadata / Digest(image_id).hex)
        remove_tree(content / Digest(image_id).hex)
        report.actions.append(f"removed image {image_id}")
    for problem in report.of_kind("dangling-tag"):
        try:
            client.reference_store.delete(problem.subject)
        except DockyardError:
            continue
        report.actions.append(f"removed tag {problem.subject} from {problem.path}")
    for problem in report.of_kind("dangling-parent"):
        if problem.subject not in broken:
            remove_tree(problem.path)
            report.actions.append(f"removed {problem.path}")
    for problem in report.of_kind("leftover") + report.of_kind("invalid-layer"):
        cache_id = _cache_id(problem.path) if problem.kind == "invalid-layer" else ""
        if cache_id and "/" not in cache_id and cache_id not in (".", ".."):
            remove_tree(client.root / "dockyard" / cache_id)
        remove_tree(problem.path)
        report.actions.append(f"removed {problem.path}")
    layers.reload()
    images.restore(reload_layers=layers.reload)
    _release_unreferenced(client, report)


_BROKEN_IMAGE = frozenset({"tampered-image", "invalid-image", "missing-layer", "corrupt-layer"})


def _release_unreferenced(client: Client, report: CheckReport) -> None:
    """Release every layer no image or child uses (children first), and corrupt ones."""
    layers = client.layer_store
    while True:
        idle = [c for c, info in layers.map().items() if info.ref_count == 0]
        if not idle:
            return
        for chain in idle:
            for meta in layers.release(layers.get(chain)):
                report.actions.append(f"removed layer {meta.chain_id}")
