"""Finding an image by name, ID or ID prefix, as the Docker daemon does (``GetImage``).

The rules (moby ``daemon/images/image.go``):

1. The string is parsed with ``ParseAnyReference``: 64 lowercase hex characters or
   ``sha256:<64 hex>`` is an image ID and is looked up directly.
2. Anything else is a name (``:latest`` implied) looked up among the tags.
3. When that fails, the *original string* is tried as an ID prefix (``Search``).
4. Whatever fails, the error is ``No such image: <familiar ref>`` with ``:latest``
   added to a bare name — an ambiguous prefix ends the same way (``No such image:
   9:latest``); only a string that is not a reference at all gives the parser's error.

Lookups use the index only; the config is read (and verified) by the commands that print
it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockyard.errors import DockyardError, ImageNotFound, IntegrityError, InvalidReference
from dockyard.reference import DigestReference, Reference, parse_any_reference

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.digest import ImageID
    from dockyard.image import Image
    from dockyard.store.view import View

__all__ = [
    "BrokenImage",
    "broken_match",
    "get_image",
    "lookup",
    "not_found_term",
    "resolve_image",
    "short_id",
]


class BrokenImage(IntegrityError):
    """The image a name designates is in the store but cannot be used.

    Its config fails verification, a layer is missing, …: ``oracle/base:1: image sha256:…
    cannot be used: failed to verify: sha256:…``.
    """

    def __init__(self, term: str, image_id: str, problem: str) -> None:
        self.term, self.image_id, self.problem = term, image_id, problem
        super().__init__(f"{term}: image {image_id} cannot be used: {problem}")


def broken_match(view: View, ref_or_id: str) -> tuple[str, str] | None:
    """``(image ID, problem)`` when ``ref_or_id`` designates an image that cannot be used.

    Names are followed through the tags, IDs and ID prefixes matched among the broken
    images (which :func:`lookup` never finds).
    """
    try:
        ref = parse_any_reference(ref_or_id)
    except DockyardError:
        return None
    if isinstance(ref, DigestReference):
        candidates = [str(ref.digest)]
    else:
        found = view.lookup(ref)
        candidates = [str(found)] if found is not None else []
        hex_ = ref_or_id.removeprefix("sha256:")
        if not candidates and hex_:
            candidates = [str(r.id) for r in view.broken_images()
                          if str(r.id).removeprefix("sha256:").startswith(hex_)][:2]
            candidates = candidates if len(candidates) == 1 else []
    for image_id in candidates:
        row = view.image_any(image_id)
        if row is not None and view.image(image_id) is None:
            return str(row.id), row.problem or "the image cannot be used"
    return None


def lookup(view: View, ref_or_id: str) -> ImageID:
    """The ID of the image ``ref_or_id`` names (name, tag, digest, ID or ID prefix).

    Raises:
        ImageNotFound: nothing matches, or a prefix is ambiguous
            (``No such image: <name>:latest``).
        InvalidReference: ``ref_or_id`` is neither an ID nor a valid reference
            (e.g. ``invalid reference format: repository name (X) must be lowercase``).
    """
    if not isinstance(ref_or_id, str):
        raise InvalidReference(repr(ref_or_id))
    ref = parse_any_reference(ref_or_id)
    if isinstance(ref, DigestReference):
        if view.image(ref.digest) is None:
            raise ImageNotFound(not_found_term(ref))
        return ref.digest  # type: ignore[return-value]
    found = view.lookup(ref)
    if found is not None and view.image(found) is not None:
        return found
    try:
        return view.search(ref_or_id)
    except DockyardError:
        raise ImageNotFound(not_found_term(ref)) from None


def resolve_image(client: Client, ref_or_id: str) -> ImageID:
    """Like :func:`lookup`, on a fresh snapshot of ``client``'s store."""
    with client.view() as view:
        return lookup(view, ref_or_id)


def get_image(view: View, ref_or_id: str) -> Image:
    """Like :func:`lookup`, but return the image itself (config read and verified).

    Raises:
        ImageNotFound: nothing matches, or a prefix is ambiguous.
        InvalidReference: ``ref_or_id`` is neither an ID nor a valid reference.
        DigestMismatch: the image's config file was modified.
        BrokenImage: the name designates an image the index found unusable.
    """
    try:
        image_id = lookup(view, ref_or_id)
    except ImageNotFound:
        broken = broken_match(view, ref_or_id)
        if broken is None:
            raise
        raise BrokenImage(ref_or_id, *broken) from None
    return view.get_image(image_id)


def not_found_term(ref: Reference | DigestReference) -> str:
    """The text Docker puts after ``No such image:`` for a parsed reference."""
    if isinstance(ref, Reference):
        return ref.tag_name_only().familiar_string()
    return ref.familiar_string()


def short_id(image_id: str) -> str:
    """Docker's ``stringid.TruncateID``: drop the algorithm, keep 12 characters."""
    _, _, hex_ = image_id.rpartition(":")
    return hex_[:12]
