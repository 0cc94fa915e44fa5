"""Finding an image by name, ID or ID prefix, as the Docker daemon does (``GetImage``).

The rules (moby ``daemon/images/image.go``):

1. The string is parsed with ``ParseAnyReference``: 64 lowercase hex characters or
   ``sha256:<64 hex>`` is an image ID and is read directly from the image store.
2. Anything else is a name (``:latest`` implied) looked up in the reference store.
3. When that fails, the *original string* is tried as an ID prefix (``Search``).
4. Whatever fails, the error is ``No such image: <familiar ref>`` with ``:latest``
   added to a bare name — an ambiguous prefix ends the same way (``No such image:
   9:latest``); only a string that is not a reference at all gives the parser's error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockyard.digest import ImageID
from dockyard.errors import DockyardError, ImageNotFound, InvalidReference
from dockyard.reference import DigestReference, Reference, parse_any_reference

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.image import Image

__all__ = ["get_image", "not_found_term", "resolve_image", "short_id"]


def resolve_image(client: Client, ref_or_id: str) -> ImageID:
    """Return the ID of the image ``ref_or_id`` names (name, tag, digest, ID or ID prefix).

    Args:
        client: the store to look in.
        ref_or_id: what a Docker user would type: ``busybox``, ``app:1``,
            ``repo@sha256:…``, a full ID with or without ``sha256:``, or an ID prefix.

    Returns:
        The image ID.

    Raises:
        ImageNotFound: nothing matches, or a prefix is ambiguous
            (``No such image: <name>:latest``).
        InvalidReference: ``ref_or_id`` is neither an ID nor a valid reference
            (e.g. ``invalid reference format: repository name (X) must be lowercase``).
    """
    return get_image(client, ref_or_id).id


def get_image(client: Client, ref_or_id: str) -> Image:
    """Like :func:`resolve_image`, but return the image itself (with ``parent`` filled in).

    Raises:
        ImageNotFound: nothing matches, or a prefix is ambiguous.
        InvalidReference: ``ref_or_id`` is neither an ID nor a valid reference.
    """
    if not isinstance(ref_or_id, str):
        raise InvalidReference(repr(ref_or_id))
    client.refresh()
    ref = parse_any_reference(ref_or_id)
    images = client.image_store
    if isinstance(ref, DigestReference):
        try:
            return images.get(ref.digest)
        except DockyardError:
            raise ImageNotFound(not_found_term(ref)) from None
    try:
        image_id = client.reference_store.get(ref)
    except DockyardError:
        pass
    else:
        try:
            return images.get(image_id)
        except DockyardError:
            pass
    try:
        found = images.search(ref_or_id)
    except DockyardError:
        raise ImageNotFound(not_found_term(ref)) from None
    try:
        return images.get(found)
    except DockyardError:
        raise ImageNotFound(not_found_term(ref)) from None


def not_found_term(ref: Reference | DigestReference) -> str:
    """The text Docker puts after ``No such image:`` for a parsed reference."""
    if isinstance(ref, Reference):
        return ref.tag_name_only().familiar_string()
    return ref.familiar_string()


def short_id(image_id: str) -> str:
    """Docker's ``stringid.TruncateID``: drop the algorithm, keep 12 characters."""
    _, _, hex_ = image_id.rpartition(":")
    return hex_[:12]
