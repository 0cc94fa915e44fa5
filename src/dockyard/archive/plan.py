"""What an archive asks to load, read and validated before anything is written.

Three layouts are understood: ``manifest.json`` archives (Docker <= 24 and >= 25), pure
OCI image layouts (``index.json``, e.g. skopeo's ``oci-archive:``), and the legacy form
with only ``repositories`` and ``<v1 id>/json`` (planned in :mod:`legacy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from dockyard.digest import DiffID, Digest, ImageID, sha256_bytes
from dockyard.errors import DockyardError, InvalidArchive, InvalidImageConfig, UnsupportedOS
from dockyard.gojson import JSONError, decode_first, unmarshal
from dockyard.image import Image, check_os
from dockyard.oci import (
    ANNOTATION_IMAGE_NAME,
    ANNOTATION_REF_NAME,
    MEDIA_TYPE_INDEX,
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


#: Makes the source layer of the member at an archive path (see :mod:`.source`).
LayerFor: TypeAlias = "Callable[[str, DiffID | None], SourceLayer]"


def _field(obj: dict[str, Any], name: str) -> Any:
    """A struct field the way Go decodes it: exact key first, then case-insensitive."""
    if name in obj:
        return obj[name]
    lowered = name.lower()
    for key, value in obj.items():
        if key.lower() == lowered:
            return value
    return None


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


def _repo_tag(text: Any) -> Reference:
    if not isinstance(text, str):
        raise InvalidArchive(f"invalid tag {text!r}")
    ref = parse_normalized_named(text)
    if ref.tag is None or ref.digest is not None:
        raise InvalidArchive(f'invalid tag "{text}"')
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
    raw = contents.read_json("manifest.json")
    try:
        items = decode_first(raw)
    except JSONError as exc:
        raise InvalidArchive(f"manifest.json: {exc}") from exc
    if items is None:
        raise InvalidArchive("invalid manifest, manifest cannot be null (but can be [])")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        kind = type(items).__name__.replace("dict", "object").replace("list", "array")
        raise InvalidArchive(
            f"json: cannot unmarshal {kind} into Go value of type []tarexport.manifestItem"
        )
    planned: list[SourceImage] = []
    for item in items:
        config_path = _field(item, "Config")
        if not isinstance(config_path, str):
            raise InvalidArchive("invalid manifest: Config must be a string")
        config = contents.read_json(config_path)
        image = _parse_image(config, config_path)
        if platform is not None and not platform.matches(
            image.operating_system(), image.architecture, image.variant
        ):
            continue
        layers = _field(item, "Layers") or []
        if not isinstance(layers, list) or not all(isinstance(p, str) for p in layers):
            raise InvalidArchive("invalid manifest: Layers must be a list of paths")
        entry = _entry(config, image, list(layers), layer_for)
        entry.tags = [_repo_tag(t) for t in _field(item, "RepoTags") or []]
        parent = _field(item, "Parent")
        if isinstance(parent, str) and parent:
            try:
                entry.parent = ImageID(Digest(parent))
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
    index = _blob_json(contents, "index.json", None)
    planned: list[SourceImage] = []
    for desc in _manifests(index, "index.json"):
        for manifest, notes in _resolve(contents, desc, platform):
            config_desc = _field(manifest, "config") or {}
            config = _blob(contents, _digest(_field(config_desc, "digest")))
            image = _parse_image(config, "config")
            layers = [
                blob_path(_digest(_field(layer, "digest")))
                for layer in _field(manifest, "layers") or []
                if isinstance(layer, dict)
            ]
            entry = _entry(config, image, layers, layer_for)
            entry.tags = _oci_tags(notes)
            if not any(p.id == entry.id for p in planned):
                planned.append(entry)
            else:
                existing = next(p for p in planned if p.id == entry.id)
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


def _oci_tags(annotations: dict[str, Any]) -> list[Reference]:
    """Tags from an index entry: the full image name, else a ref name that is a full name."""
    for key in (ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME):
        value = annotations.get(key)
        if isinstance(value, str) and value:
            try:
                ref = parse_normalized_named(value)
            except DockyardError:
                continue
            if ref.tag is not None and ref.digest is None and ("/" in value or ":" in value):
                return [ref]
    return []


def _resolve(
    contents: ArchiveContents, desc: dict[str, Any], platform: PlatformSpec, depth: int = 0
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The image manifests a descriptor leads to (choosing by platform in indexes)."""
    if depth > 4:
        raise InvalidArchive("image index nesting is too deep")
    annotations = _field(desc, "annotations") or {}
    data = _blob_json(contents, blob_path(_digest(_field(desc, "digest"))), desc)
    media = _field(desc, "mediaType") or _field(data, "mediaType") or ""
    if media in (MEDIA_TYPE_INDEX, MEDIA_DOCKER_LIST) or "manifests" in data:
        chosen = [
            d for d in _manifests(data, "image index") if _platform_ok(d, platform)
        ]
        if not chosen:
            raise InvalidArchive(f"no manifest in the image index matches platform {platform}")
        found = _resolve(contents, chosen[0], platform, depth + 1)
        return [(m, {**annotations, **a}) for m, a in found]
    return [(data, annotations if isinstance(annotations, dict) else {})]


def _platform_ok(desc: dict[str, Any], platform: PlatformSpec) -> bool:
    plat = _field(desc, "platform")
    if not isinstance(plat, dict):
        return False
    return platform.matches(
        str(_field(plat, "os") or ""),
        str(_field(plat, "architecture") or ""),
        str(_field(plat, "variant") or ""),
    )


def _manifests(index: dict[str, Any], where: str) -> list[dict[str, Any]]:
    manifests = _field(index, "manifests")
    if not isinstance(manifests, list) or not all(isinstance(m, dict) for m in manifests):
        raise InvalidArchive(f"{where}: manifests must be a list of descriptors")
    return manifests


def _digest(value: Any) -> Digest:
    if not isinstance(value, str):
        raise InvalidArchive("invalid descriptor: digest must be a string")
    try:
        return Digest(value)
    except DockyardError as exc:
        raise InvalidArchive(f"invalid descriptor digest: {exc}") from exc


def _blob(contents: ArchiveContents, digest: Digest) -> bytes:
    data = contents.read_json(blob_path(digest))
    if sha256_bytes(data) != digest:
        raise InvalidArchive(f"blob {digest} does not match its digest")
    return data


def _blob_json(contents: ArchiveContents, path: str, desc: dict[str, Any] | None) -> Any:
    data = contents.read_json(path) if desc is None else _blob(
        contents, _digest(_field(desc, "digest"))
    )
    return json_object(data, path)


def json_object(raw: bytes, where: str) -> dict[str, Any]:
    """Decode a JSON object from an archive member (strictly, with Go's rules).

    Raises:
        InvalidArchive: not JSON, or not an object.
    """
    try:
        value = unmarshal(raw)
    except JSONError as exc:
        raise InvalidArchive(f"{where}: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidArchive(f"{where}: not a JSON object")
    return value


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
