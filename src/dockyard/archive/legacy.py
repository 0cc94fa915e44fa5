"""Archives without ``manifest.json``: ``repositories`` plus ``<v1 id>/{json,layer.tar}``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockyard.archive.documents import decode_legacy_image, decode_repositories
from dockyard.archive.plan import LayerFor, _parse_image
from dockyard.digest import DiffID, ImageID, is_valid_hex
from dockyard.errors import InvalidArchive, UnsupportedOS
from dockyard.image import History, RootFS, check_os
from dockyard.image.v1 import history_from_config, make_config_from_v1_config
from dockyard.reference import Reference, parse_normalized_named
from dockyard.transfer import SourceImage

if TYPE_CHECKING:
    from collections.abc import Callable

    from dockyard.archive.contents import ArchiveContents
    from dockyard.transfer import SourceLayer

__all__ = ["plan_legacy"]

_MAX_DEPTH = 1000


def plan_legacy(
    contents: ArchiveContents, layer_for: LayerFor, diff_id_of: Callable[[SourceLayer], DiffID]
) -> tuple[list[SourceImage], list[tuple[ImageID, ImageID]]]:
    """Plan a legacy archive: one image per v1 layer, parents first, tags from ``repositories``.

    Args:
        contents: the scanned archive.
        layer_for: makes the source layer of an archive path.
        diff_id_of: stages a source layer and returns its DiffID.

    Returns:
        The images (parents before children) and the (child, parent) links.

    Raises:
        InvalidArchive: ``repositories`` or a ``json`` file is missing or malformed, or a
            tag names a layer that is not in the archive (``invalid target ID: <id>``).
    """
    by_v1: dict[str, SourceImage] = {}
    links: list[tuple[ImageID, ImageID]] = []
    names = [*contents.directories, *(n for n in [*contents.members, *contents.links] if "/" in n)]
    top_dirs = sorted({n.split("/", 1)[0] for n in names if n != "."})

    def load(v1_id: str, depth: int) -> SourceImage:
        if v1_id in by_v1:
            return by_v1[v1_id]
        if depth > _MAX_DEPTH:
            raise InvalidArchive("legacy archive: parent chain is too long or loops")
        raw = contents.read_json(f"{v1_id}/json")
        meta = decode_legacy_image(raw)
        try:
            check_os(meta.os or "linux")
        except UnsupportedOS:
            raise UnsupportedOS(meta.os, f"cannot load {meta.os} image on linux") from None
        parent_v1 = meta.parent
        rootfs = RootFS()
        history: list[History] = []
        layers: list[SourceLayer] = []
        parent: SourceImage | None = None
        if parent_v1:
            parent = load(parent_v1, depth + 1)
            rootfs = parent.image.rootfs.clone() if parent.image.rootfs else RootFS()
            history = list(parent.image.history or [])
            layers = list(parent.layers)
        layer_path = f"{v1_id}/layer.tar"
        layer = layer_for(layer_path, None)
        rootfs.append(diff_id_of(layer))
        history.append(history_from_config(raw))
        config = make_config_from_v1_config(raw, rootfs, history)
        planned = SourceImage(config, _parse_image(config, layer_path), [*layers, layer])
        if parent is not None:
            planned.parent = parent.id
            links.append((planned.id, parent.id))
        by_v1[v1_id] = planned
        return planned

    for v1_id in top_dirs:
        load(v1_id, 0)
    if not contents.has("repositories"):
        raise InvalidArchive("open repositories: no such file or directory")
    repos = decode_repositories(contents.read_json("repositories"))
    for name, tags in repos.items():
        for tag, v1_id in tags.items():
            if v1_id not in by_v1 or not is_valid_hex(v1_id):
                raise InvalidArchive(f"invalid target ID: {v1_id}")
            ref = _tagged(name, tag)
            if ref not in by_v1[v1_id].tags:
                by_v1[v1_id].tags.append(ref)
    return list(by_v1.values()), links


def _tagged(name: str, tag: str) -> Reference:
    named = parse_normalized_named(name)
    return parse_normalized_named(f"{named.name()}:{tag}")
