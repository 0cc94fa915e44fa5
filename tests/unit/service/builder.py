"""Build small images in a temporary store with the library alone (no loader)."""

from __future__ import annotations

import io
import json
import tarfile
from typing import Any

import dockyard
from dockyard.digest import ChainID, DiffID, ImageID


def layer_tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


class Builder:
    """Creates images whose layers are given as ``{path: content}`` dicts."""

    def __init__(self, client: dockyard.Client) -> None:
        self.client = client

    def image(
        self,
        layers: list[dict[str, bytes]],
        *,
        created: str | None = "2026-01-01T00:00:00Z",
        labels: dict[str, str] | None = None,
        tags: tuple[str, ...] = (),
        parent: str | None = None,
        history: list[dict[str, Any]] | None = None,
        config: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> ImageID:
        handles = []
        chain: ChainID | None = None
        diff_ids: list[DiffID] = []
        for files in layers:
            layer = self.client.layer_store.register(io.BytesIO(layer_tar(files)), chain)
            handles.append(layer)
            chain = layer.chain_id
            diff_ids.append(layer.diff_id)
        cfg: dict[str, Any] = {"Cmd": ["/bin/sh"], "Env": None, "Labels": labels}
        cfg.update(config or {})
        doc: dict[str, Any] = {
            "architecture": "amd64",
            "config": cfg,
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [str(d) for d in diff_ids]},
        }
        if created is not None:
            doc["created"] = created
        doc["history"] = (
            history
            if history is not None
            else [
                {"created": created or "2026-01-01T00:00:00Z", "created_by": f"step {i}"}
                for i in range(len(layers))
            ]
        )
        doc.update(extra or {})
        image_id = self.client.image_store.create(json.dumps(doc, sort_keys=True).encode())
        for layer in handles:
            self.client.layer_store.release(layer)
        if parent is not None:
            self.client.image_store.set_parent(image_id, parent)
        for tag in tags:
            self.client.reference_store.add_tag(tag, image_id)
        return image_id


def chains(client: dockyard.Client, image_id: str) -> list[ChainID]:
    from dockyard.digest import chain_ids

    img = client.image_store.get(image_id)
    assert img.rootfs is not None
    return chain_ids(img.rootfs.diff_ids)
