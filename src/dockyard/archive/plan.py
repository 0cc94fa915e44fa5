"""What an archive asks to load, read and validated before anything is written.

Three layouts are understood: ``manifest.json`` archives (Docker <= 24 and >= 25), pure
OCI image layouts (``index.json``, e.g. skopeo's ``oci-archive:``), and the legacy form
with only ``repositories`` and ``<v1 id>/json`` (planned in :mod:`legacy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from dockyard.archive.documents import Descriptor, OCIDocument, decode_manifest, decode_oci
from dockyard.digest import DiffID, Digest, ImageID, sha256_bytes
from dockyard.errors import DockyardError, InvalidArchive, InvalidImageConfig, UnsupportedOS
from dockyard.gojson import JSONError, go_quote
from dockyard.image import Image, check_os
from dockyard.oci import (
    ANNOTATION_IMAGE_NAME,
    ANNOTATION_REF_NAME,
    MEDIA_TYPE_INDEX,
    MEDIA_TYPE_MANIFEST,
    blob_path,
)
from dockyard.reference import Reference, parse_normalized_named
from dockyard.transfer import SourceImage

if TYPE_CHECKING:
    from collections.abc import Callable

    from dockyard.archive.contents import ArchiveContents
    from dockyard.platforms import PlatformSpec
    from dockyard.transfer import SourceLayer

__all__ = ["LayerFor", "plan_manifest", "plan_oci", "validate_parents"]

MEDIA_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MEDIA_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
_INDEX_TYPES = (MEDIA_TYPE_INDEX, MEDIA_DOCKER_LIST)
_MANIFEST_TYPES = (MEDIA_TYPE_MANIFEST, MEDIA_DOCKER_MANIFEST)


#: Makes the source layer of the member at an archive path (see :mod:`.source`).
LayerFor: TypeAlias = "Callable[[str, DiffID | None], SourceLayer]"


def _parse_image(config: bytes, where: str) -> Image:
    try:
        image = Image.from_json(config)
    except InvalidImageConfig:
        raise
    except JSONError as exc:
        raise InvalidImageConfig(f"{where}: {exc}") from exc
    try:
        check_os(image.operating_system())
    except UnsupportedOS:
        raise UnsupportedOS(
            image.operating_system(), f"cannot load {image.operating_system()} image on linux"
        ) from None
    non_empty = sum(1 for h in image.history or [] if not h.empty_layer)
    if non_empty > len(image.rootfs.diff_ids if image.rootfs is not None else []):
        raise InvalidImageConfig("too many non-empty layers in History section")
    return image


def _repo_tag(text: str) -> Reference:
    ref = parse_normalized_named(text)
    if ref.tag is None or ref.digest is not None:
        raise InvalidArchive(f"invalid tag {go_quote(text)}")
    return ref


def plan_manifest(
    contents: ArchiveContents, platform: PlatformSpec | None, layer_for: LayerFor
) -> list[SourceImage]:
    """Plan a ``manifest.json`` archive (Docker's own format, every version).

    Raises:
        InvalidArchive: the manifest is malformed or names missing files.
        InvalidImageConfig: a config is invalid.
        UnsupportedOS: an image is for another operating system.
    """
    items = decode_manifest(contents.read_json("manifest.json"))
    if items is None:
        raise InvalidArchive("invalid manifest, manifest cannot be null (but can be [])")
    planned: list[SourceImage] = []
    for item in items:
        config = contents.read_json(item.config)
        image = _parse_image(config, item.config)
        if platform is not None and not platform.matches(
            image.operating_system(), image.architecture, image.variant
        ):
            continue
        entry = _entry(config, image, item.layers or [], layer_for)
        entry.tags = [_repo_tag(t) for t in item.repo_tags or []]
        if item.parent:
            try:
                entry.parent = ImageID(Digest(item.parent))
            except DockyardError:
                entry.parent = None
        planned.append(entry)
    return planned


def plan_oci(
    contents: ArchiveContents, platform: PlatformSpec, layer_for: LayerFor
) -> list[SourceImage]:
    """Plan a pure OCI image layout (``index.json``), choosing ``platform`` in indexes.

    Raises:
        InvalidArchive: the layout is malformed, a blob is missing or does not match
            its digest.
        InvalidImageConfig: a config is invalid.
    """
    index = decode_oci(contents.read_json("index.json"), "index.json", index=True)
    planned: list[SourceImage] = []
    for desc in index.manifests or []:
        for manifest, notes in _resolve(contents, desc, platform):
            config = _blob(contents, _digest(manifest.config.digest))
            image = _parse_image(config, "config")
            layers = [blob_path(_digest(layer.digest)) for layer in manifest.layers or []]
            entry = _entry(config, image, layers, layer_for)
            entry.tags = _oci_tags(notes)
            existing = next((p for p in planned if p.id == entry.id), None)
            if existing is None:
                planned.append(entry)
            else:
                existing.tags += [t for t in entry.tags if t not in existing.tags]
    return planned


def _entry(config: bytes, image: Image, paths: list[str], layer_for: LayerFor) -> SourceImage:
    """An image with one source layer per DiffID.

    Raises:
        InvalidArchive: the numbers of layer files and DiffIDs differ.
    """
    diff_ids = list(image.rootfs.diff_ids) if image.rootfs is not None else []
    if len(paths) != len(diff_ids):
        raise InvalidArchive(
            f"invalid manifest, layers length mismatch: expected {len(paths)}, "
            f"got {len(diff_ids)}"
        )
    layers = [layer_for(path, diff) for path, diff in zip(paths, diff_ids, strict=True)]
    return SourceImage(config, image, layers)


def _oci_tags(annotations: dict[str, str]) -> list[Reference]:
    """Tags from an index entry: the full image name, else a ref name that is a full name."""
    for key in (ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME):
        value = annotations.get(key)
        if value:
            try:
                ref = parse_normalized_named(value)
            except DockyardError:
                continue
            if ref.tag is not None and ref.digest is None and ("/" in value or ":" in value):
                return [ref]
    return []


def _resolve(
    contents: ArchiveContents, desc: Descriptor, platform: PlatformSpec, depth: int = 0
) -> list[tuple[OCIDocument, dict[str, str]]]:
    """The image manifests a descriptor leads to (choosing by platform in indexes)."""
    if depth > 4:
        raise InvalidArchive("image index nesting is too deep")
    annotations = desc.annotations or {}
    digest = _digest(desc.digest)
    kind = True if desc.media_type in _INDEX_TYPES else (
        False if desc.media_type in _MANIFEST_TYPES else None
    )
    document = decode_oci(_blob(contents, digest), blob_path(digest), index=kind)
    if kind or (kind is None and (document.has_manifests or document.media_type in _INDEX_TYPES)):
        chosen = [d for d in document.manifests or [] if _platform_ok(d, platform)]
        if not chosen:
            raise InvalidArchive(f"no manifest in the image index matches platform {platform}")
        found = _resolve(contents, chosen[0], platform, depth + 1)
        return [(m, {**annotations, **a}) for m, a in found]
    return [(document, annotations)]


def _platform_ok(desc: Descriptor, platform: PlatformSpec) -> bool:
    plat = desc.platform
    if plat is None:
        return False
    return platform.matches(plat.os, plat.architecture, plat.variant)


def _digest(value: str) -> Digest:
    try:
        return Digest(value)
    except DockyardError as exc:
        raise InvalidArchive(f"invalid descriptor digest: {exc}") from exc


def _blob(contents: ArchiveContents, digest: Digest) -> bytes:
    data = contents.read_json(blob_path(digest))
    if sha256_bytes(data) != digest:
        raise InvalidArchive(f"blob {digest} does not match its digest")
    return data


def validate_parents(planned: list[SourceImage]) -> list[tuple[ImageID, ImageID]]:
    """The (child, parent) links to record; a parent outside the archive is dropped.

    Raises:
        InvalidArchive: a parent's history is not a prefix of its child's
            (``image <parent> is not a valid parent for <child>``).
    """
    by_id = {p.id: p for p in planned}
    links: list[tuple[ImageID, ImageID]] = []
    for child in planned:
        if child.parent is None or child.parent == child.id or child.parent not in by_id:
            continue
        parent = by_id[child.parent]
        mine, theirs = child.image.history or [], parent.image.history or []
        valid = (not mine and not theirs) or (
            len(mine) == len(theirs) + 1 and all(a == b for a, b in zip(theirs, mine, strict=False))
        )
        if not valid:
            raise InvalidArchive(f"image {parent.id} is not a valid parent for {child.id}")
        links.append((child.id, parent.id))
    return links
