"""Docker's rules for changing tags and digests in ``repositories.json`` (moby refstore).

The functions change a decoded file (:data:`~dockyard.reference._repofile.Repositories`)
in place: a tag can be moved (with ``force``), a digest reference never; a name-only
reference means ``:latest``; a repository named ``sha256`` is refused because it would
make ``sha256:<hex>`` ambiguous; a repository left without references disappears.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockyard.digest import Digest, ImageID
from dockyard.errors import ConflictError, InvalidReference, ReferenceNotFound, TagConflict

if TYPE_CHECKING:
    from dockyard.reference._repofile import Repositories
    from dockyard.reference.parse import Compat
    from dockyard.reference.types import Reference

__all__ = ["DigestConflict", "add_reference", "delete_reference", "entry_key"]

# A repository named like the digest algorithm would make ``sha256:<hex>`` ambiguous.
_DIGEST_ALGORITHM = "sha256"


class DigestConflict(ConflictError):
    """A digest reference already points to another image (digests are never moved)."""

    def __init__(self, reference: str, digest: Digest, existing_id: str, message: str) -> None:
        self.reference = reference
        self.digest = digest
        self.existing_id = existing_id
        super().__init__(message)


def entry_key(ref: Reference) -> tuple[str, str]:
    """The (repository, key) under which ``repositories.json`` stores a reference."""
    named = ref.favor_digest().tag_name_only()
    return named.familiar_name(), named.familiar_string()


def add_reference(
    repos: Repositories,
    ref: Reference,
    image_id: ImageID,
    *,
    force: bool = False,
    digest: bool = False,
    compat: Compat = "v28",
) -> bool:
    """Point a tag (``digest=False``) or a digest reference at ``image_id``.

    Returns:
        True when the file changed (False when the reference already points there).

    Raises:
        InvalidReference: a tag with a digest, a digest reference without one, or a
            repository named ``sha256``.
        TagConflict: the tag points to another image and ``force`` is off.
        DigestConflict: the digest reference points to another image.
    """
    if not digest and ref.digest is not None:
        raise InvalidReference(str(ref), "refusing to create a tag with a digest reference")
    if digest and ref.digest is None:
        raise InvalidReference(
            str(ref), "refusing to create a digest reference without a digest"
        )
    ref = ref.favor_digest().tag_name_only()
    repo_name, key = ref.familiar_name(), ref.familiar_string()
    if repo_name == _DIGEST_ALGORITHM:
        raise InvalidReference(
            key, "refusing to create an ambiguous tag using digest algorithm as name"
        )
    new_id = Digest(image_id)
    inner = repos.get(repo_name)
    if inner is not None and key in inner:
        old_id = inner[key]
        if old_id == new_id:
            return False
        if ref.digest is not None:
            raise DigestConflict(key, ref.digest, old_id, _digest_message(ref.digest, compat))
        if not force:
            raise TagConflict(key, old_id, _tag_message(key, old_id, compat))
    if inner is None:
        inner = repos[repo_name] = {}
    inner[key] = str(new_id)
    return True


def delete_reference(repos: Repositories, ref: Reference) -> None:
    """Remove a tag or digest reference (a name-only reference means ``:latest``).

    Raises:
        ReferenceNotFound: nothing is stored under the reference.
    """
    named = ref.favor_digest().tag_name_only()
    repo_name, key = named.familiar_name(), named.familiar_string()
    inner = repos.get(repo_name)
    if inner is None or key not in inner:
        raise ReferenceNotFound(str(named))
    del inner[key]
    if not inner:
        del repos[repo_name]


def _tag_message(key: str, old_id: str, compat: Compat) -> str | None:
    if compat == "v20.10":
        return (
            f"Conflict: Tag {key} is already set to image {old_id}, "
            "if you want to replace it, please use the force option"
        )
    return None


def _digest_message(digest: Digest, compat: Compat) -> str:
    prefix = "Cannot" if compat == "v20.10" else "cannot"
    return f"{prefix} overwrite digest {digest}"
