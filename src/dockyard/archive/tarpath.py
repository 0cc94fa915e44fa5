"""Lexical path cleaning and symlink resolution confined to an archive's root."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockyard.errors import InvalidArchive, UnsafeArchivePath

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ARCHIVE_ROOT",
    "MAX_LINK_ITERATIONS",
    "clean_archive_path",
    "clean_member_name",
    "go_clean",
    "reroot_member_name",
    "resolve_in_archive",
]

ARCHIVE_ROOT = "/"
"""The symbolic root named in error messages (Docker names its temporary directory)."""

MAX_LINK_ITERATIONS = 255
"""Docker's limit on path components walked while following symlinks."""


def go_clean(path: str) -> str:
    """Clean a slash-separated path lexically, exactly like Go's ``path.Clean``.

    Repeated slashes and ``.`` components are removed, ``..`` removes the preceding
    component (at the root of a rooted path it is dropped), and an empty result is ``.``.

    Args:
        path: the path to clean.

    Returns:
        The cleaned path.
    """
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    joined = "/".join(parts)
    if rooted:
        return "/" + joined
    return joined or "."


def _escapes(cleaned: str) -> bool:
    return cleaned == ".." or cleaned.startswith("../")


def clean_member_name(raw: str) -> str:
    """Normalise a tar member name and refuse names that leave the archive root.

    A leading ``./``, repeated slashes, ``.`` components and a trailing slash are
    removed and ``..`` components are applied. The archive root itself is ``.``.

    This is stricter than Docker on purpose: Docker extracts into a chroot and silently
    re-roots ``../evil`` and ``/etc/passwd`` inside its temporary directory; dockyard
    never extracts, and refuses such archives instead of guessing what was meant.

    Args:
        raw: the member name as recorded in the archive.

    Returns:
        The normalised, relative name.

    Raises:
        UnsafeArchivePath: the name contains a NUL byte, is absolute, or a ``..``
            component would climb above the archive root.
    """
    if "\x00" in raw:
        raise UnsafeArchivePath(raw, f"invalid archive member name {raw!r}: contains a NUL byte")
    if raw.startswith("/"):
        raise UnsafeArchivePath(raw, f"unsafe path in archive: {raw!r} is absolute")
    cleaned = go_clean(raw)
    if _escapes(cleaned):
        raise UnsafeArchivePath(raw, f"unsafe path in archive: {raw!r} escapes the archive root")
    return cleaned


def reroot_member_name(raw: str) -> str:
    """Normalise a tar member name the way Docker extracts it: inside the archive root.

    Docker unpacks an image archive in a chroot, so ``/etc/passwd`` lands at
    ``<root>/etc/passwd`` and ``../../evil`` at ``<root>/evil`` (Go's
    ``filepath.Join("/", name)``). dockyard never extracts anything, so taking names the
    same way is safe: this is the name the member has inside the archive.

    Args:
        raw: the member name as recorded in the archive.

    Returns:
        The normalised, relative name (``.`` for the archive root itself).

    Raises:
        UnsafeArchivePath: the name contains a NUL byte.
    """
    if "\x00" in raw:
        raise UnsafeArchivePath(raw, f"invalid archive member name {raw!r}: contains a NUL byte")
    return go_clean("/" + raw)[1:] or "."


def clean_archive_path(path: str) -> str:
    """Clean a path taken from archive metadata (``manifest.json``) against the root.

    This is Docker's ``filepath.Join(root, path)`` step: the path is joined onto the
    root and cleaned, so ``/etc/hostname`` becomes ``etc/hostname`` while
    ``../../etc/passwd`` (or ``/../x``) lands outside the root and is refused.

    Args:
        path: the path as written in the metadata.

    Returns:
        The cleaned path relative to the archive root (``.`` for the root itself).

    Raises:
        UnsafeArchivePath: the cleaned path is outside the archive root, or contains a
            NUL byte.
    """
    if "\x00" in path:
        raise UnsafeArchivePath(path, f"invalid archive path {path!r}: contains a NUL byte")
    cleaned = go_clean(path.lstrip("/"))
    if _escapes(cleaned):
        raise UnsafeArchivePath(path, f"evalSymlinksInScope: {cleaned} is not in {ARCHIVE_ROOT}")
    return cleaned


def resolve_in_archive(path: str, links: Mapping[str, str]) -> str:
    """Resolve ``path`` through the symlinks of an archive, never leaving its root.

    This follows Docker's ``FollowSymlinkInScope``: the path is first cleaned
    lexically (see :func:`clean_archive_path`), then walked component by component;
    a component that is a symlink of the archive is replaced by its target, which is
    taken relative to the archive root when absolute and relative to the link's
    directory otherwise. ``..`` can never climb above the root, so a link to
    ``/etc/passwd`` or ``../../x`` resolves to ``etc/passwd`` or ``x`` inside the
    archive. Components that are not links (or do not exist) are accepted as they are.

    Args:
        path: the path to resolve (a member name or a path from ``manifest.json``).
        links: symlink members of the archive, normalised member name (as in
            :attr:`TarMember.name <dockyard.archive.tarreader.TarMember.name>`) to the
            recorded link target.

    Returns:
        The resolved path relative to the archive root (``.`` for the root itself).

    Raises:
        UnsafeArchivePath: the lexically cleaned path is outside the archive root.
        InvalidArchive: more than 255 components had to be walked (a symlink loop):
            ``evalSymlinksInScope: too many links in <path>``.
    """
    start = clean_archive_path(path)
    original = go_clean(ARCHIVE_ROOT + start)
    remaining = "" if start == "." else start
    done = ""  # resolved prefix, each component followed by "/"
    iteration = 0
    while remaining:
        if iteration > MAX_LINK_ITERATIONS:
            raise InvalidArchive(f"evalSymlinksInScope: too many links in {original}")
        iteration += 1
        part, _, remaining = remaining.partition("/")
        if not part:
            continue
        candidate = go_clean("/" + done + part)
        if candidate == "/":
            done = ""
            continue
        target = links.get(candidate[1:])
        if target is None:
            done += part + "/"
            continue
        if "\x00" in target:
            raise UnsafeArchivePath(target, f"invalid symlink target {target!r}")
        if target.startswith("/"):
            done = ""
        remaining = target + "/" + remaining
    resolved = go_clean("/" + done)
    return "." if resolved == "/" else resolved[1:]
