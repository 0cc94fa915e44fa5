"""The contract every content backend must keep; bound to each backend in test_backends."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockyard.digest import Digest
from dockyard.errors import (
    BlobNotFound,
    InvalidArgumentError,
    InvalidDigest,
    NotFoundError,
)

if TYPE_CHECKING:
    from dockyard.content import StoreBackend


class StoreBackendContract:
    """Tests that only use ``self.make_backend()``."""

    def make_backend(self) -> StoreBackend:
        raise NotImplementedError

    def tamper(self, backend: StoreBackend, dgst: Digest, data: bytes) -> None:
        """Replace stored content without going through the backend API."""
        raise NotImplementedError

    def test_set_returns_sha256_of_data(self) -> None:
        backend = self.make_backend()
        dgst = backend.set(b'{"a":1}')
        assert dgst == "sha256:" + hashlib.sha256(b'{"a":1}').hexdigest()
        assert backend.get(dgst) == b'{"a":1}'

    def test_set_is_idempotent(self) -> None:
        backend = self.make_backend()
        assert backend.set(b"x") == backend.set(b"x")
        assert list(backend.walk()) == [backend.set(b"x")]

    def test_empty_data_refused(self) -> None:
        backend = self.make_backend()
        with pytest.raises(InvalidArgumentError, match="invalid empty data"):
            backend.set(b"")

    def test_get_missing(self) -> None:
        backend = self.make_backend()
        with pytest.raises(BlobNotFound, match=r"failed to get digest sha256:0{64}"):
            backend.get(Digest("sha256:" + "0" * 64))

    def test_get_refuses_invalid_digest(self) -> None:
        backend = self.make_backend()
        for bad in ["sha256:../../etc/passwd", "../x", "sha256:" + "A" * 64, ""]:
            with pytest.raises(InvalidDigest):
                backend.get(bad)  # type: ignore[arg-type]

    def test_walk_sorted(self) -> None:
        backend = self.make_backend()
        digests = [backend.set(bytes([i])) for i in range(20)]
        assert list(backend.walk()) == sorted(digests)

    def test_delete_removes_content_and_metadata(self) -> None:
        backend = self.make_backend()
        dgst = backend.set(b"data")
        backend.set_metadata(dgst, "parent", b"p")
        backend.delete(dgst)
        assert list(backend.walk()) == []
        with pytest.raises(NotFoundError):
            backend.get(dgst)
        backend.set(b"data")
        with pytest.raises(NotFoundError):
            backend.get_metadata(dgst, "parent")

    def test_delete_missing(self) -> None:
        backend = self.make_backend()
        with pytest.raises(BlobNotFound):
            backend.delete(Digest("sha256:" + "1" * 64))

    def test_metadata_roundtrip(self) -> None:
        backend = self.make_backend()
        dgst = backend.set(b"data")
        backend.set_metadata(dgst, "lastUpdated", b"2024-01-02T03:04:05Z")
        backend.set_metadata(dgst, "builtLocally", b"\x01")
        assert backend.get_metadata(dgst, "lastUpdated") == b"2024-01-02T03:04:05Z"
        assert backend.get_metadata(dgst, "builtLocally") == b"\x01"
        backend.set_metadata(dgst, "lastUpdated", b"later")
        assert backend.get_metadata(dgst, "lastUpdated") == b"later"
        backend.delete_metadata(dgst, "lastUpdated")
        backend.delete_metadata(dgst, "lastUpdated")
        with pytest.raises(BlobNotFound, match="failed to read metadata"):
            backend.get_metadata(dgst, "lastUpdated")

    def test_metadata_needs_content(self) -> None:
        backend = self.make_backend()
        missing = Digest("sha256:" + "2" * 64)
        with pytest.raises(NotFoundError):
            backend.set_metadata(missing, "parent", b"x")
        with pytest.raises(NotFoundError):
            backend.get_metadata(missing, "parent")

    def test_metadata_key_cannot_escape(self) -> None:
        backend = self.make_backend()
        dgst = backend.set(b"data")
        for key in ["../x", "a/b", "", ".tmp-x", "/etc/passwd", "."]:
            with pytest.raises(InvalidArgumentError):
                backend.set_metadata(dgst, key, b"x")

    def test_tampered_content_fails_verification(self) -> None:
        backend = self.make_backend()
        dgst = backend.set(b'{"rootfs":{}}')
        self.tamper(backend, dgst, b'{"rootfs":{}} ')
        with pytest.raises(Exception, match=f"failed to verify: {dgst}"):
            backend.get(dgst)
        with pytest.raises(Exception, match="failed to verify"):
            backend.get_metadata(dgst, "parent")

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    )
    @given(st.lists(st.binary(min_size=1, max_size=64), max_size=8))
    def test_property_set_get(self, blobs: list[bytes]) -> None:
        backend = self.make_backend()
        stored = {backend.set(b): b for b in blobs}
        assert sorted(stored) == list(backend.walk())
        for dgst, data in stored.items():
            assert backend.get(dgst) == data
