"""Digests, the ID types built on them, and hashing streams.

A :class:`Digest` is always ``sha256:`` followed by 64 lowercase hex characters;
anything else raises :class:`~dockyard.errors.InvalidDigest`. ``ImageID``,
``DiffID`` and ``ChainID`` are distinct ``NewType`` wrappers of it, so mixing them up is
a type error.
"""

from __future__ import annotations

import hashlib
import re
from typing import IO, TYPE_CHECKING, Any, NewType

from dockyard.errors import DigestMismatch, InvalidDigest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from typing_extensions import Buffer

__all__ = [
    "EMPTY_TAR_DIFF_ID",
    "EMPTY_TAR_SIZE",
    "ChainID",
    "DiffID",
    "Digest",
    "HashingReader",
    "HashingWriter",
    "ImageID",
    "chain_id",
    "chain_ids",
    "is_valid_hex",
    "sha256_bytes",
]

ALGORITHM = "sha256"
_HEX64 = re.compile(r"[a-f0-9]{64}")


def is_valid_hex(value: str) -> bool:
    """Return True when ``value`` is exactly 64 lowercase hex characters."""
    return len(value) == 64 and _HEX64.fullmatch(value) is not None


class Digest(str):
    """A validated ``sha256:<hex>`` content digest (a ``str`` subclass)."""

    __slots__ = ()

    def __new__(cls, value: str) -> Digest:
        """Validate ``value`` and return it as a digest.

        Raises:
            InvalidDigest: the value is not ``sha256:`` plus 64 lowercase hex.
        """
        if isinstance(value, Digest):
            return value
        if not isinstance(value, str):
            raise InvalidDigest(repr(value), "digest must be a string")
        algo, sep, hex_ = value.partition(":")
        if not sep or not algo or not hex_:
            raise InvalidDigest(value, "invalid checksum digest format")
        if algo != ALGORITHM:
            raise InvalidDigest(value, "unsupported digest algorithm")
        if len(hex_) != 64:
            raise InvalidDigest(value, "invalid checksum digest length")
        if _HEX64.fullmatch(hex_) is None:
            raise InvalidDigest(value, "invalid checksum digest format")
        return str.__new__(cls, value)

    @classmethod
    def from_hex(cls, hex_: str) -> Digest:
        """Build a digest from 64 hex characters (no algorithm prefix)."""
        return cls(f"{ALGORITHM}:{hex_}")

    @classmethod
    def parse(cls, value: str) -> Digest:
        """Parse ``sha256:<hex>`` or a bare 64-hex string."""
        if ":" not in value and is_valid_hex(value):
            return cls.from_hex(value)
        return cls(value)

    @property
    def algorithm(self) -> str:
        """The algorithm name (always ``sha256``)."""
        return ALGORITHM

    @property
    def hex(self) -> str:  # type: ignore[override,unused-ignore]
        """The 64 hex characters after ``sha256:``."""
        return str.__str__(self)[len(ALGORITHM) + 1 :]

    @property
    def encoded(self) -> str:
        """Alias of :attr:`hex`, the name go-digest uses."""
        return self.hex

    def short(self, length: int = 12) -> str:
        """The first ``length`` hex characters, as Docker shows short IDs."""
        return self.hex[:length]

    def __repr__(self) -> str:
        return f"Digest({str.__str__(self)!r})"

    def __str__(self) -> str:
        return str.__str__(self)


ImageID = NewType("ImageID", Digest)
DiffID = NewType("DiffID", Digest)
ChainID = NewType("ChainID", Digest)

#: DiffID of the empty layer: a tar of 1024 zero bytes (moby ``DigestSHA256EmptyTar``).
EMPTY_TAR_DIFF_ID = DiffID(
    Digest("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef")
)
EMPTY_TAR_SIZE = 1024


def sha256_bytes(data: bytes | bytearray | memoryview) -> Digest:
    """Return the digest of ``data``."""
    return Digest.from_hex(hashlib.sha256(data).hexdigest())


def chain_id(diff_ids: Iterable[DiffID]) -> ChainID | None:
    """Return the chain ID of a stack of DiffIDs (base first), or None when empty.

    ``chain(1) = d1``; ``chain(k) = sha256(chain(k-1) + " " + dk)``.
    """
    result: ChainID | None = None
    for diff in diff_ids:
        result = _next_chain(result, diff)
    return result


def chain_ids(diff_ids: Iterable[DiffID]) -> list[ChainID]:
    """Return the chain ID of every prefix of ``diff_ids``."""
    out: list[ChainID] = []
    current: ChainID | None = None
    for diff in diff_ids:
        current = _next_chain(current, diff)
        out.append(current)
    return out


def _next_chain(parent: ChainID | None, diff: DiffID) -> ChainID:
    if parent is None:
        return ChainID(Digest(diff))
    text = f"{parent} {diff}".encode("ascii")
    return ChainID(sha256_bytes(text))


class HashingReader:
    """A binary reader that digests everything read through it.

    ``expected``, when given, is checked by :meth:`verify` (and automatically at EOF
    when ``verify_at_eof`` is set): a mismatch raises ``on_mismatch(actual)`` if a
    factory is given, else :class:`~dockyard.errors.DigestMismatch`.
    """

    def __init__(
        self,
        raw: IO[bytes] | Any,
        expected: Digest | None = None,
        *,
        verify_at_eof: bool = False,
        on_mismatch: Callable[[Digest], Exception] | None = None,
    ) -> None:
        self._raw = raw
        self._hash = hashlib.sha256()
        self.expected = expected
        self.bytes_read = 0
        self._verify_at_eof = verify_at_eof
        self._on_mismatch = on_mismatch
        self._eof = False

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes, digesting them."""
        data: bytes = self._raw.read(size)
        if data:
            self._hash.update(data)
            self.bytes_read += len(data)
        elif size != 0 and not self._eof:
            self._eof = True
            if self._verify_at_eof:
                self.verify()
        return data

    def readinto(self, buffer: Buffer) -> int:
        """Read into ``buffer`` (for ``shutil.copyfileobj`` and friends)."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        """Always True."""
        return True

    @property
    def digest(self) -> Digest:
        """Digest of the bytes read so far."""
        return Digest.from_hex(self._hash.hexdigest())

    def verify(self) -> Digest:
        """Check the digest of what was read against ``expected``.

        Raises:
            DigestMismatch: the bytes do not match (or the ``on_mismatch`` error).
        """
        actual = self.digest
        if self.expected is not None and actual != self.expected:
            if self._on_mismatch is not None:
                raise self._on_mismatch(actual)
            raise DigestMismatch(self.expected, actual)
        return actual

    def close(self) -> None:
        """Close the wrapped stream."""
        self._raw.close()

    def __enter__(self) -> HashingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class HashingWriter:
    """A binary writer that digests and counts everything written through it."""

    def __init__(self, raw: IO[bytes] | Any | None = None) -> None:
        self._raw = raw
        self._hash = hashlib.sha256()
        self.bytes_written = 0

    def write(self, data: Buffer) -> int:
        """Write ``data`` to the wrapped stream (if any) and digest it."""
        self._hash.update(data)
        n = memoryview(data).nbytes
        self.bytes_written += n
        if self._raw is not None:
            self._raw.write(data)
        return n

    def writable(self) -> bool:
        """Always True."""
        return True

    def flush(self) -> None:
        """Flush the wrapped stream."""
        if self._raw is not None:
            self._raw.flush()

    @property
    def digest(self) -> Digest:
        """Digest of the bytes written so far."""
        return Digest.from_hex(self._hash.hexdigest())
