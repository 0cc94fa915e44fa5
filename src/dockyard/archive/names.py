"""Which images ``docker save NAME...`` means, and with which tags (moby ``parseNames``).

Rules (spec §7.1), for each name in order:

1. It must parse as an "any reference" (``invalid reference format`` otherwise).
2. A full image ID (64 hex, bare or ``sha256:``-prefixed) names that image, untagged.
3. ``sha256:<prefix>`` is an ID prefix search (``No such image``, ``ambiguous digest
   string``).
4. A bare name (``busybox``, also a short hex such as ``f5a0e8``) means every reference
   of that repository; when it has none it is taken as an ID prefix instead.
5. ``name:tag`` and ``name@digest`` are looked up in the reference store
   (``reference does not exist``).

Images keep the order in which they were first named; tags are collected per image in
order of discovery, without duplicates; digest references never become tags. Saving an
image by ID gives it no tags at all (``RepoTags: null`` in the archive), exactly as
Docker does, even when the image has tags: a saved archive then loads as an untagged
image, which is what users of ``docker save <id>`` expect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockyard.digest import Digest, ImageID
from dockyard.errors import ImageNotFound, ReferenceNotFound, UnsupportedOS
from dockyard.image import Image, check_os
from dockyard.reference import parse_any_reference, parse_normalized_named
from dockyard.reference.types import DigestReference, Reference

if TYPE_CHECKING:
    from dockyard.store.view import View

__all__ = ["NoSuitablePlatform", "SaveItem", "resolve_names"]

_DIGEST_REPOSITORY = "sha256"


class NoSuitablePlatform(ImageNotFound):
    """A named image does not match the platform asked for (Docker 28's wording)."""

    def __init__(self, term: str, platform: str) -> None:
        super().__init__(term, f"no suitable export target found for platform {platform}")
        self.platform = platform


@dataclass(slots=True)
class SaveItem:
    """One image to save and the tags it is saved with.

    Attributes:
        image_id: the image's ID.
        tags: tagged references (``:latest`` added to bare names), in order of discovery;
            empty when the image was named by ID only.
    """

    image_id: ImageID
    tags: list[Reference] = field(default_factory=list)

    @property
    def repo_tags(self) -> list[str]:
        """The tags as the archive's ``RepoTags`` spells them (``busybox:latest``)."""
        return [ref.familiar_string() for ref in self.tags]


class _Resolver:
    def __init__(self, view: View, platform: str | None) -> None:
        self._view = view
        self._platform = platform
        self.items: dict[ImageID, SaveItem] = {}

    def add(self, image_id: ImageID, ref: Reference | None, term: str) -> None:
        item = self.items.get(image_id)
        if item is None:
            self._check(image_id, term)
            item = self.items[image_id] = SaveItem(image_id)
        if ref is None or ref.digest is not None:
            return
        tagged = ref.tag_name_only()
        if all(str(tagged) != str(t) for t in item.tags):
            item.tags.append(tagged)

    def _check(self, image_id: ImageID, term: str) -> None:
        img = _get_image(self._view, image_id, term)
        os_name = img.operating_system()
        try:
            check_os(os_name)
        except UnsupportedOS:
            raise UnsupportedOS(os_name, f'os "{os_name}" is not supported') from None
        if self._platform is not None:
            from dockyard.platforms import parse_platform

            wanted = parse_platform(self._platform)
            if not wanted.matches(img.os, img.architecture, img.variant):
                raise NoSuitablePlatform(term, str(wanted))

    def resolve(self, name: str) -> None:
        ref = parse_any_reference(name)
        if isinstance(ref, DigestReference):
            self.add(ImageID(ref.digest), None, name)
            return
        view = self._view
        if ref.familiar_name() == _DIGEST_REPOSITORY:
            self.add(view.search(name), None, name)
            return
        if ref.is_name_only():
            rows = view.repository(ref.familiar_name())
            for row in rows:
                self.add(row.image_id, parse_normalized_named(row.full), name)
            if not rows:
                self.add(view.search(name), None, name)
            return
        found = view.lookup(ref)
        if found is None:
            raise ReferenceNotFound(str(ref.favor_digest().tag_name_only()))
        self.add(found, ref, name)


def _get_image(view: View, image_id: ImageID, term: str) -> Image:
    if view.image(image_id) is None:
        # Docker leaks its backend's file path here; the lookup wording is more useful.
        raise ImageNotFound(term if term.startswith("sha256:") else str(Digest(image_id)))
    return view.get_image(image_id)


def resolve_names(
    view: View, names: Sequence[str], *, platform: str | None = None
) -> list[SaveItem]:
    """Resolve ``docker save`` arguments to images and their tags (see module docstring).

    Args:
        view: the snapshot to look names up in.
        names: image names, tags, digests, IDs or ID prefixes, as given to ``docker save``.
        platform: when given (``os[/arch[/variant]]``), every image must match it.

    Returns:
        One item per distinct image, in order of first mention.

    Raises:
        InvalidReference: a name does not parse (``invalid reference format``...).
        ImageNotFound: an ID or prefix matches nothing (``No such image: <name>``).
        AmbiguousID: a prefix matches several images (``ambiguous digest string``).
        ReferenceNotFound: a tag or digest is not in the store
            (``reference does not exist``).
        UnsupportedOS: an image is for another OS (``os "<os>" is not supported``).
        NoSuitablePlatform: an image does not match ``platform``.
        InvalidArgumentError: ``platform`` does not parse.
    """
    resolver = _Resolver(view, platform)
    for name in names:
        resolver.resolve(name)
    return list(resolver.items.values())
