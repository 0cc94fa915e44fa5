"""The Docker 20.10 ``docker save`` layout: ``<v1id>/{VERSION,json,layer.tar}`` (spec §7.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockyard.archive._save_layout import (
    EPOCH,
    Entry,
    EntryKind,
    Layout,
    manifest_item,
    manifest_json,
    repositories_json,
    validated_parents,
)
from dockyard.gojson import Compat
from dockyard.image import v1_layers

if TYPE_CHECKING:
    from dockyard.archive._save_layout import ImageInput
    from dockyard.digest import DiffID
    from dockyard.gojson import Struct

__all__ = ["legacy_layout"]

_VERSION = b"1.0"


def legacy_layout(images: list[ImageInput]) -> Layout:
    """Plan the legacy archive of ``images`` (in the given order).

    A layer directory is written once per v1 ID; a DiffID already written under another
    v1 ID becomes a relative symlink ``../<v1id>/layer.tar``, as in Docker 20.10. v1 JSON
    is encoded as Docker 20.10 encodes it, with the epoch of lower layers in UTC.
    """
    layout = Layout()
    diff_paths: dict[DiffID, str] = {}
    repos: dict[str, dict[str, str]] = {}
    items: list[Struct] = []
    parents = validated_parents(images)
    for img in images:
        mtime = img.mtime
        layer_names: list[str] = []
        v1s = v1_layers(img.image, Compat.V20_10)
        for v1, chain, size in zip(v1s, img.chain_ids, img.layer_sizes, strict=True):
            layer_names.append(f"{v1.id}/layer.tar")
            if f"{v1.id}/VERSION" in layout.entries:
                continue
            layout.dir(v1.id, mtime)
            layout.bytes(f"{v1.id}/VERSION", _VERSION, mtime)
            layout.bytes(f"{v1.id}/json", v1.json, mtime)
            other = diff_paths.get(v1.diff_id)
            if other is not None:
                layout.add(
                    Entry(f"{v1.id}/layer.tar", EntryKind.SYMLINK, mtime, target=f"../{other}")
                )
            else:
                layout.add(
                    Entry(
                        f"{v1.id}/layer.tar",
                        EntryKind.LAYER,
                        mtime,
                        chain_id=chain,
                        diff_id=v1.diff_id,
                        size=size,
                    )
                )
                diff_paths[v1.diff_id] = f"{v1.id}/layer.tar"
        image_id = img.item.image_id
        layout.bytes(f"{image_id.hex}.json", img.image.raw_json(), mtime)
        top = v1s[-1].id
        for ref in img.item.tags:
            repos.setdefault(ref.familiar_name(), {})[ref.tag or ""] = top
        items.append(
            manifest_item(
                f"{image_id.hex}.json", img.item.repo_tags, layer_names, parents.get(image_id)
            )
        )
    layout.bytes("manifest.json", manifest_json(items), EPOCH)
    if repos:
        layout.bytes("repositories", repositories_json(repos), EPOCH)
    return layout
