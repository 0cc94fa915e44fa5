"""``docker tag`` and ``docker rmi``: tagging, untagging and deleting images.

Removal follows moby ``daemon/images/image_delete.go`` step for step (without
containers, which dockyard does not have):

* by name: the reference is removed (``Untagged: <ref>``); when it was the last tag of
  its repository, that repository's digest references go too; the image itself is
  deleted only when no reference is left — and then quietly: an image that still has
  child images just stays (untagged);
* by ID or ID prefix: when every reference is in one repository with at most one tag,
  all references are removed first; otherwise, unless forced, the image must have no
  references (``conflict: unable to delete <id> (must be forced) - image is referenced
  in multiple repositories``); an image with child images can never be deleted
  (``conflict: unable to delete <id> (cannot be forced) - image has dependent child
  images``);
* deleting an image removes its remaining references (``Untagged: …``), the image
  (``Deleted: sha256:<image id>``) and every layer that no other image uses (``Deleted:
  sha256:<chain id>``, top-down); with ``prune`` its parent is then deleted the same
  way if it is left untagged and childless, and so on up the chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from dockyard.digest import Digest, ImageID
from dockyard.errors import ImageInUse, InvalidReference
from dockyard.reference import parse_any_reference, parse_normalized_named
from dockyard.service.lookup import lookup, short_id

if TYPE_CHECKING:
    from collections.abc import Callable

    from dockyard.client import Client
    from dockyard.reference import Reference
    from dockyard.store.txn import Transaction

__all__ = [
    "ImageConflict",
    "RemoveEvent",
    "events_to_api",
    "remove_image",
    "remove_in",
    "tag_image",
]

_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class RemoveEvent:
    """One line of ``docker rmi`` output: exactly one of the two fields is set.

    Attributes:
        untagged: the familiar reference that was removed (``app:1``).
        deleted: the image ID or layer chain ID that was deleted (``sha256:…``).
    """

    untagged: str = ""
    deleted: str = ""

    def to_api(self) -> dict[str, str]:
        """The Engine API object: ``{"Untagged": …}`` or ``{"Deleted": …}``."""
        return {"Untagged": self.untagged} if self.untagged else {"Deleted": self.deleted}

    def __str__(self) -> str:
        return f"Untagged: {self.untagged}" if self.untagged else f"Deleted: {self.deleted}"


class ImageConflict(ImageInUse):
    """An image cannot be deleted (Docker's ``imageDeleteConflict``).

    Attributes:
        image_id: the image concerned.
        hard: True when even ``force`` cannot override it (child images).
        reason: Docker's reason text.
    """

    def __init__(self, image_id: str, *, hard: bool, reason: str) -> None:
        self.image_id = image_id
        self.hard = hard
        self.reason = reason
        how = "cannot be forced" if hard else "must be forced"
        super().__init__(f"conflict: unable to delete {short_id(image_id)} ({how}) - {reason}")


def tag_image(client: Client, source: str, target: str) -> Reference:
    """Point the tag ``target`` at the image ``source`` names (``docker tag``).

    As in Docker, an existing tag is moved without asking, and the image's
    ``lastUpdated`` metadata (``Metadata.LastTagTime``) is set to now.

    Args:
        client: the store.
        source: the image (name, ID or ID prefix).
        target: the new tag; ``:latest`` when it has none.

    Returns:
        The (normalised) reference that was set.

    Raises:
        InvalidReference: ``Error parsing reference: "<s>" is not a valid
            repository/tag: …``, ``refusing to create a tag with a digest reference``,
            ``refusing to create an ambiguous tag using digest algorithm as name``.
        ImageNotFound: ``source`` names no image.
    """
    _parse_for_tag(source, parse_any_reference)
    named = _parse_for_tag(target, parse_normalized_named)
    if named.digest is not None:
        raise InvalidReference(target, "refusing to create a tag with a digest reference")
    named = named.tag_name_only()
    if named.familiar_name() == "sha256":
        raise InvalidReference(
            target, "refusing to create an ambiguous tag using digest algorithm as name"
        )
    with client.transaction() as tx:
        image_id = lookup(tx.view, source)
        tx.add_tag(named, image_id, force=True)
        tx.set_last_updated(image_id)
    return named


def remove_image(
    client: Client, ref: str, *, force: bool = False, prune: bool = True
) -> list[RemoveEvent]:
    """Remove a reference or an image as ``docker rmi`` does (see the module docstring).

    Args:
        client: the store.
        ref: a name, tag, digest reference, ID or ID prefix.
        force: remove an image referenced in several repositories (``-f``).
        prune: also delete parents left untagged and childless (``--no-prune`` is
            ``prune=False``).

    Returns:
        What was untagged and deleted, in Docker's order.

    Raises:
        ImageNotFound: ``ref`` names no image.
        InvalidReference: ``ref`` is not a valid reference.
        ImageConflict: the image has child images, or is referenced in several
            repositories and ``force`` is off.
    """
    with client.transaction() as tx:
        return remove_in(tx, ref, force=force, prune=prune)


def remove_in(
    tx: Transaction, ref: str, *, force: bool = False, prune: bool = True
) -> list[RemoveEvent]:
    """:func:`remove_image` inside a transaction (so that several removals commit once).

    Raises:
        ImageNotFound: ``ref`` names no image.
        InvalidReference: ``ref`` is not a valid reference.
        ImageConflict: see :func:`remove_image`.
    """
    return _Remover(tx).remove(ref, force=force, prune=prune)


class _Remover:
    """One ``ImageDelete`` call: the records it produced so far."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.view = tx.view
        self.records: list[RemoveEvent] = []

    def remove(self, ref: str, *, force: bool, prune: bool) -> list[RemoveEvent]:
        image_id = lookup(self.view, ref)
        repo_refs = self.view.references(image_id)
        quiet = False
        if not _is_id_prefix(image_id, ref):
            parsed = parse_normalized_named(ref).tag_name_only()
            self.tx.delete_reference(parsed)
            self.records.append(RemoveEvent(untagged=parsed.familiar_string()))
            repo_refs = self.view.references(image_id)
            if parsed.digest is None:
                repo_refs = self._drop_orphan_digests(parsed, repo_refs)
            if repo_refs:
                return self.records
            quiet = True
        elif _is_single_reference(repo_refs):
            if self.view.has_children(image_id):
                raise _children_conflict(image_id)
            for repo_ref in repo_refs:
                self._untag(repo_ref)
        self._delete(image_id, force=force, prune=prune, quiet=quiet)
        return self.records

    def _drop_orphan_digests(
        self, removed: Reference, repo_refs: list[Reference]
    ) -> list[Reference]:
        """After the last tag of a repository went, remove its digest references too."""
        name = removed.name()
        if any(r.digest is None and r.name() == name for r in repo_refs):
            return repo_refs
        remaining = []
        for repo_ref in repo_refs:
            if repo_ref.digest is not None and repo_ref.name() == name:
                self.tx.delete_reference(repo_ref)
                self.records.append(RemoveEvent(untagged=repo_ref.familiar_string()))
            else:
                remaining.append(repo_ref)
        return remaining

    def _untag(self, repo_ref: Reference) -> None:
        repo_ref = repo_ref.tag_name_only()
        self.tx.delete_reference(repo_ref)
        self.records.append(RemoveEvent(untagged=repo_ref.familiar_string()))

    def _delete(self, image_id: ImageID, *, force: bool, prune: bool, quiet: bool) -> None:
        """Docker's ``imageDeleteHelper``, with the parent recursion written as a loop."""
        current: ImageID | None = image_id
        while current is not None:
            conflict = self._conflict(current, soft=not force)
            if conflict is not None:
                if quiet and not self._is_dangling(current):
                    return
                raise conflict
            row = self.view.image_any(current)
            parent = row.parent if row is not None else ""
            for repo_ref in self.view.references(current):
                self._untag(repo_ref)
            released = self.tx.delete_image(current)
            self.records.append(RemoveEvent(deleted=str(current)))
            self.records.extend(RemoveEvent(deleted=str(m.chain_id)) for m in released)
            if not prune or not parent or self.view.image(parent) is None:
                return
            current, force, quiet = ImageID(Digest(parent)), False, True

    def _conflict(self, image_id: ImageID, *, soft: bool) -> ImageConflict | None:
        if self.view.has_children(image_id):
            return _children_conflict(image_id)
        if soft and self.view.ref_rows(image_id):
            return ImageConflict(
                image_id, hard=False, reason="image is referenced in multiple repositories"
            )
        return None

    def _is_dangling(self, image_id: ImageID) -> bool:
        return not self.view.ref_rows(image_id) and not self.view.has_children(image_id)


def _parse_for_tag(text: str, parse: Callable[[str], _R]) -> _R:
    """Parse as the Docker client does before tagging, with its error wording."""
    try:
        return parse(text)
    except InvalidReference as exc:
        message = f'Error parsing reference: "{text}" is not a valid repository/tag: {exc}'
        raise InvalidReference(text, message) from None


def _children_conflict(image_id: str) -> ImageConflict:
    return ImageConflict(image_id, hard=True, reason="image has dependent child images")


def _is_id_prefix(image_id: str, text: str) -> bool:
    """Docker's ``isImageIDPrefix``: ``text`` starts the ID, with or without ``sha256:``."""
    return image_id.startswith(text) or image_id.partition(":")[2].startswith(text)


def _is_single_reference(repo_refs: list[Reference]) -> bool:
    """All references in one repository with at most one tag (False when there are none)."""
    if len(repo_refs) <= 1:
        return len(repo_refs) == 1
    single: Reference | None = None
    digest_names: set[str] = set()
    for repo_ref in repo_refs:
        if repo_ref.digest is not None:
            digest_names.add(repo_ref.name())
        elif single is None:
            single = repo_ref
        else:
            return False
    if single is None:
        single = repo_refs[0]
    return len(digest_names) == 1 and single.name() in digest_names


def events_to_api(events: list[RemoveEvent]) -> list[dict[str, Any]]:
    """The Engine API list of ``{"Untagged": …}`` / ``{"Deleted": …}`` objects."""
    return [event.to_api() for event in events]
