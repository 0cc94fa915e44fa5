"""The reference store: tags and digest references of images, kept in ``repositories.json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from dockyard._atomic import atomic_write, make_dirs
from dockyard._lock import StoreLock
from dockyard.digest import Digest, ImageID
from dockyard.errors import (
    ConflictError,
    InvalidDigest,
    InvalidReference,
    ReferenceNotFound,
    StorageError,
    TagConflict,
)
from dockyard.reference import _repofile
from dockyard.reference.parse import Compat, parse_normalized_named
from dockyard.reference.types import Reference

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["Association", "DigestConflict", "ReferenceStore"]

_FILE_MODE = 0o600
_DIR_MODE = 0o700
# A repository named like the digest algorithm would make ``sha256:<hex>`` ambiguous.
_DIGEST_ALGORITHM = "sha256"


class Association(NamedTuple):
    """A reference and the image ID it points to."""

    ref: Reference
    image_id: ImageID


class DigestConflict(ConflictError):
    """A digest reference already points to another image (digests are never moved)."""

    def __init__(self, reference: str, digest: Digest, existing_id: str, message: str) -> None:
        self.reference = reference
        self.digest = digest
        self.existing_id = existing_id
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class _State:
    """One immutable snapshot of the file: raw content plus the derived indexes."""

    source: bytes | None
    repos: _repofile.Repositories
    associations: tuple[Association, ...] = ()
    by_id: dict[str, tuple[Reference, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, source: bytes | None, repos: _repofile.Repositories, compat: Compat) -> _State:
        found: set[Association] = set()
        for inner in repos.values():
            for key, value in (inner or {}).items():
                assoc = _parse_entry(key, value, compat)
                if assoc is not None:
                    found.add(assoc)
        ordered = tuple(sorted(found, key=lambda a: (str(a.ref), a.image_id)))
        grouped: dict[str, list[Reference]] = {}
        for assoc in ordered:
            grouped.setdefault(assoc.image_id, []).append(assoc.ref)
        by_id = {image_id: tuple(refs) for image_id, refs in grouped.items()}
        return cls(source, repos, ordered, by_id)


class ReferenceStore:
    """Docker's reference store over one ``repositories.json`` file.

    The file maps familiar repository names to familiar references to image IDs
    and is rewritten atomically (mode 0600) after every change, byte-compatible
    with Docker. Every change runs under the store lock, re-reads the file first
    (another process may have changed it) and marks the store changed. Readers use
    the in-memory snapshot; :meth:`reload` refreshes it. Entries whose key does not
    parse or whose value is not an image ID stay in the file but are not visible.

    References may be given as :class:`Reference` objects or as strings, which are
    parsed with :func:`~dockyard.reference.parse_normalized_named`.

    Args:
        path: the ``repositories.json`` file; created (empty) when missing.
        lock: the store lock to use; by default one on the file's directory.
        compat: ``"v28"`` (default) or ``"v20.10"`` wording of conflict errors.

    Raises:
        InvalidReferenceStore: the file exists but cannot be decoded.
        StorageError: the file cannot be read or created.
    """

    def __init__(
        self, path: Path | str, lock: StoreLock | None = None, *, compat: Compat = "v28"
    ) -> None:
        self.path = Path(path).absolute()
        self.compat: Compat = compat
        self._lock = lock if lock is not None else StoreLock(self.path.parent)
        self._state = _State(None, {})
        source = self._read_bytes()
        if source is None:
            make_dirs(self.path.parent, _DIR_MODE)
            with self._lock.exclusive():
                source = self._read_bytes()
                if source is None:
                    source = self._write({})
        self._adopt(source)

    # --- readers ------------------------------------------------------------------------

    def get(self, ref: Reference | str) -> ImageID:
        """Return the image ID a tag or digest reference points to.

        A name-only reference means ``:latest``; with both a tag and a digest only
        the digest is looked up.

        Raises:
            ReferenceNotFound: nothing is stored under the reference.
            InvalidReference: ``ref`` is a string that does not parse.
        """
        named = self._named(ref).favor_digest().tag_name_only()
        inner = self._state.repos.get(named.familiar_name())
        value = inner.get(named.familiar_string()) if inner else None
        if value is None:
            raise ReferenceNotFound(str(named))
        try:
            return ImageID(Digest(value))
        except InvalidDigest:
            raise ReferenceNotFound(str(named)) from None

    def references(self, image_id: ImageID) -> list[Reference]:
        """All references to ``image_id``, sorted by their full string."""
        return list(self._state.by_id.get(image_id, ()))

    def references_by_name(self, name: Reference | str) -> list[Association]:
        """All tags and digests of the repository of ``name``, sorted by full string.

        Any tag or digest on ``name`` itself is ignored.

        Raises:
            InvalidReference: ``name`` is a string that does not parse.
        """
        inner = self._state.repos.get(self._named(name).familiar_name())
        found = {
            assoc
            for key, value in (inner or {}).items()
            if (assoc := _parse_entry(key, value, self.compat)) is not None
        }
        return sorted(found, key=lambda a: (str(a.ref), a.image_id))

    def __iter__(self) -> Iterator[Association]:
        return iter(self._state.associations)

    def __len__(self) -> int:
        return len(self._state.associations)

    def reload(self) -> None:
        """Re-read the file, picking up changes made by other processes.

        Raises:
            InvalidReferenceStore: the file cannot be decoded.
            StorageError: the file cannot be read.
        """
        self._adopt(self._read_bytes())

    # --- writers ------------------------------------------------------------------------

    def add_tag(self, ref: Reference | str, image_id: ImageID, force: bool = False) -> None:
        """Point a tag at ``image_id``; a name-only reference gets ``:latest``.

        Raises:
            InvalidReference: ``ref`` carries a digest (``refusing to create a tag
                with a digest reference``), is named ``sha256``, or does not parse.
            InvalidDigest: ``image_id`` is not a valid image ID.
            TagConflict: the tag points to another image and ``force`` is off.
            StorageError: the file cannot be written.
        """
        named = self._named(ref)
        if named.digest is not None:
            raise InvalidReference(str(named), "refusing to create a tag with a digest reference")
        self._add_reference(named.tag_name_only(), image_id, force)

    def add_digest(self, ref: Reference | str, image_id: ImageID, force: bool = False) -> None:
        """Record that the digest reference ``ref`` resolves to ``image_id``.

        A tag on ``ref`` is dropped. A digest reference is never moved to another
        image, even with ``force``.

        Raises:
            InvalidReference: ``ref`` has no digest, is named ``sha256``, or does not
                parse.
            InvalidDigest: ``image_id`` is not a valid image ID.
            DigestConflict: the digest reference points to another image.
            StorageError: the file cannot be written.
        """
        named = self._named(ref)
        if named.digest is None:
            raise InvalidReference(
                str(named), "refusing to create a digest reference without a digest"
            )
        self._add_reference(named, image_id, force)

    def delete(self, ref: Reference | str) -> bool:
        """Remove a tag or digest reference; a name-only reference means ``:latest``.

        A repository left without references is removed from the file.

        Returns:
            True (a missing reference raises instead, as in Docker).

        Raises:
            ReferenceNotFound: nothing is stored under the reference.
            InvalidReference: ``ref`` is a string that does not parse.
            StorageError: the file cannot be written.
        """
        named = self._named(ref).favor_digest().tag_name_only()
        repo_name, key = named.familiar_name(), named.familiar_string()

        def change(repos: _repofile.Repositories) -> bool:
            inner = repos.get(repo_name)
            if inner is None or key not in inner:
                raise ReferenceNotFound(str(named))
            del inner[key]
            if not inner:
                del repos[repo_name]
            return True

        self._mutate(change)
        return True

    # --- internals ----------------------------------------------------------------------

    def _add_reference(self, ref: Reference, image_id: ImageID, force: bool) -> None:
        ref = ref.favor_digest()
        repo_name, key = ref.familiar_name(), ref.familiar_string()
        if repo_name == _DIGEST_ALGORITHM:
            raise InvalidReference(
                key, "refusing to create an ambiguous tag using digest algorithm as name"
            )
        new_id = Digest(image_id)

        def change(repos: _repofile.Repositories) -> bool:
            inner = repos.get(repo_name)
            if inner is not None and key in inner:
                old_id = inner[key]
                if old_id == new_id:
                    return False
                if ref.digest is not None:
                    raise DigestConflict(key, ref.digest, old_id, self._digest_message(ref.digest))
                if not force:
                    raise TagConflict(key, old_id, self._tag_message(key, old_id))
            if inner is None:
                inner = repos[repo_name] = {}
            inner[key] = str(new_id)
            return True

        self._mutate(change)

    def _mutate(self, change: Callable[[_repofile.Repositories], bool]) -> None:
        with self._lock.exclusive():
            self._adopt(self._read_bytes())
            working = _repofile.copy_repositories(self._state.repos)
            if change(working):
                source = self._write(working)
                self._state = _State.build(source, working, self.compat)
                self._lock.mark_changed()

    def _adopt(self, source: bytes | None) -> None:
        if source is not None and source == self._state.source:
            return
        repos = _repofile.decode(source, self.path) if source is not None else {}
        self._state = _State.build(source, repos, self.compat)

    def _read_bytes(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"failed to read reference store {self.path}: {exc}") from exc

    def _write(self, repos: _repofile.Repositories) -> bytes:
        data = _repofile.encode(repos)
        atomic_write(self.path, data, _FILE_MODE)
        return data

    def _named(self, ref: Reference | str) -> Reference:
        if isinstance(ref, Reference):
            return ref
        if isinstance(ref, str):
            return parse_normalized_named(ref, compat=self.compat)
        raise InvalidReference(str(ref))

    def _tag_message(self, key: str, old_id: str) -> str | None:
        if self.compat == "v20.10":
            return (
                f"Conflict: Tag {key} is already set to image {old_id}, "
                "if you want to replace it, please use the force option"
            )
        return None

    def _digest_message(self, digest: Digest) -> str:
        prefix = "Cannot" if self.compat == "v20.10" else "cannot"
        return f"{prefix} overwrite digest {digest}"


def _parse_entry(key: str, value: str, compat: Compat) -> Association | None:
    try:
        return Association(parse_normalized_named(key, compat=compat), ImageID(Digest(value)))
    except (InvalidReference, InvalidDigest):
        return None
