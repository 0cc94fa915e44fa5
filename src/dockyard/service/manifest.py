"""``docker manifest inspect``: a manifest or index as the registry has it, indented."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from dockyard.errors import NotFoundError
from dockyard.reference import parse_normalized_named
from dockyard.registry import ManifestUnknown, NameUnknown

if TYPE_CHECKING:
    from dockyard.registry import RegistryClient

__all__ = ["NoSuchManifest", "inspect_manifest"]


class NoSuchManifest(NotFoundError):
    """The registry has no manifest under that name (Docker's wording)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no such manifest: {name}")


def inspect_manifest(registry: RegistryClient, name: str) -> str:
    """The manifest (or index) ``name`` points to, as ``docker manifest inspect`` prints it.

    The JSON is the registry's, key order kept, indented with tabs as Docker indents it.

    Raises:
        NoSuchManifest: the registry has none.
        InvalidReference: ``name`` is not valid.
        RegistryError: anything else the registry said.
    """
    ref = parse_normalized_named(name).tag_name_only()
    repository = registry.repository(ref)
    try:
        manifest = repository.get_manifest(str(ref.digest) if ref.digest else ref.tag or "")
    except (ManifestUnknown, NameUnknown):
        raise NoSuchManifest(ref.familiar_string()) from None
    doc = json.loads(manifest.raw, object_pairs_hook=dict)
    return json.dumps(doc, indent="\t", ensure_ascii=False)
