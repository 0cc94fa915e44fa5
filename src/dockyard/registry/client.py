"""The registry client: one :class:`RegistryClient`, one :class:`Repository` per name."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import httpx

from dockyard.digest import Digest, sha256_bytes
from dockyard.oci.descriptor import Descriptor
from dockyard.platforms import PlatformSpec
from dockyard.progress import ProgressCallback
from dockyard.reference import Reference, parse_normalized_named
from dockyard.registry.blobs import BlobInfo, BlobSink, MemorySink, download_blob
from dockyard.registry.credentials import CredentialStore
from dockyard.registry.errors import (
    ContentDigestMismatch,
    InvalidManifest,
    ManifestTooLarge,
    ManifestUnknown,
)
from dockyard.registry.listing import paginate
from dockyard.registry.manifests import (
    MANIFEST_ACCEPT,
    ImageIndex,
    ImageManifest,
    Manifest,
    parse_manifest,
)
from dockyard.registry.proxy import ProxyConfig
from dockyard.registry.retry import RetryPolicy
from dockyard.registry.transport import (
    DEFAULT_USER_AGENT,
    Transport,
    TransportOptions,
    registry_host,
)
from dockyard.registry.uploads import PushedBlob, upload_blob

__all__ = ["DEFAULT_MANIFEST_LIMIT", "RegistryClient", "Repository"]

#: Largest manifest accepted (distribution refuses to store bigger ones, too).
DEFAULT_MANIFEST_LIMIT = 4 * 1024 * 1024


class RegistryClient:
    """A client for OCI/Docker registries (the distribution API v2).

    Thread-safe: share one client between the workers of a bounded pool. Close it
    (or use it as a context manager) to release its connections.

    Args:
        credentials: where to find credentials (e.g. a
            :class:`~dockyard.registry.credentials.DockerConfig`); None: anonymous.
        insecure: registries allowed over plain HTTP or unverified TLS (loopback
            always is).
        certs_dir: Docker's ``certs.d`` directory, or None.
        proxy: proxies (the caller reads the environment), or None.
        timeout: seconds (or an ``httpx.Timeout``) for connect/read/write.
        retry: the retry policy (default :class:`RetryPolicy`).
        user_agent: the ``User-Agent`` header.
        max_manifest_size: the largest manifest read, in bytes.
        transport: a ready transport (the other transport arguments are then ignored).
    """

    def __init__(
        self,
        *,
        credentials: CredentialStore | None = None,
        insecure: Sequence[str] = (),
        certs_dir: Path | None = None,
        proxy: ProxyConfig | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        max_manifest_size: int = DEFAULT_MANIFEST_LIMIT,
        transport: Transport | None = None,
    ) -> None:
        if transport is None:
            options = TransportOptions(
                credentials=credentials,
                insecure=frozenset(insecure),
                certs_dir=certs_dir,
                proxy=proxy,
                retry=retry or RetryPolicy(),
                user_agent=user_agent,
            )
            if timeout is not None:
                options = dataclasses.replace(options, timeout=timeout)
            transport = Transport(options)
        self.transport = transport
        self.max_manifest_size = max_manifest_size

    def repository(self, name: Reference | str) -> Repository:
        """A handle on one repository (``host:5000/team/app``; tags/digests are ignored).

        Raises:
            dockyard.errors.InvalidReference: ``name`` is not a valid reference.
        """
        ref = parse_normalized_named(name) if isinstance(name, str) else name
        return Repository(self, ref.trim())

    def ping(self, registry: str) -> str:
        """Check that ``registry`` (a reference domain) answers; return its base URL.

        Raises:
            RegistryConnectionError: it cannot be reached.
        """
        return self.transport.base_url(registry_host(registry))

    def catalog(self, registry: str, *, page_size: int | None = None) -> Iterator[str]:
        """Every repository name of ``registry`` (``GET /v2/_catalog``, paginated).

        Raises:
            RegistryHTTPError: the registry refused (many public ones do).
        """
        host = registry_host(registry)
        url = f"{self.transport.base_url(host)}/v2/_catalog"
        if page_size is not None:
            url += f"?n={page_size}"
        yield from paginate(
            self.transport, host, url, frozenset({"registry:catalog:*"}), "repositories"
        )

    def close(self) -> None:
        """Release every connection."""
        self.transport.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Repository:
    """One repository of one registry: manifests, blobs and tags.

    Attributes:
        reference: the repository's name (no tag, no digest).
        host: the registry host requests go to (``registry-1.docker.io`` for Hub).
        name: the repository path (``library/busybox``).
    """

    def __init__(self, client: RegistryClient, reference: Reference) -> None:
        self.client = client
        self.transport = client.transport
        self.reference = reference
        self.host = registry_host(reference.domain)
        self.name = reference.path
        self._pull = frozenset({f"repository:{self.name}:pull"})
        self._push = frozenset({f"repository:{self.name}:pull,push"})

    def _url(self, kind: str, ref: str) -> str:
        return f"{self.transport.base_url(self.host)}/v2/{self.name}/{kind}/{ref}"

    def _display(self, ref: str) -> str:
        try:
            return self.reference.with_digest(Digest(ref)).familiar_string()
        except ValueError:
            return self.reference.with_tag(ref).familiar_string()

    # --- manifests ------------------------------------------------------------------

    def get_manifest(self, ref: str, *, accept: str = MANIFEST_ACCEPT) -> Manifest:
        """Fetch the manifest or index tagged ``ref`` (a tag or a digest) and verify it.

        By digest the bytes must hash to it; by tag the digest is computed (and must
        equal ``Docker-Content-Digest`` when the registry sends one).

        Raises:
            ManifestUnknown: no such tag or digest (``manifest for <ref> not found: …``).
            ContentDigestMismatch: the bytes do not match the digest.
            ManifestTooLarge: larger than the client's limit.
            InvalidManifest: not a supported manifest.
        """
        response = self.transport.request(
            "GET",
            self._url("manifests", ref),
            host=self.host,
            scopes=self._pull,
            headers={"Accept": accept},
        )
        try:
            self.transport.check(response, not_found_code="MANIFEST_UNKNOWN")
        except ManifestUnknown as exc:
            raise exc.with_message(f"manifest for {self._display(ref)} not found: {exc}") from exc
        raw = self._read_limited(response)
        actual = sha256_bytes(raw)
        expected = (
            ref if ref.startswith("sha256:") else response.headers.get("docker-content-digest", "")
        )
        if expected.startswith("sha256:") and actual != expected:
            raise ContentDigestMismatch(expected, actual, "manifest")
        return parse_manifest(raw, response.headers.get("content-type"))

    def _read_limited(self, response: httpx.Response) -> bytes:
        limit = self.client.max_manifest_size
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            response.close()
            raise ManifestTooLarge(limit)
        chunks: list[bytes] = []
        total = 0
        try:
            for piece in response.iter_bytes():
                total += len(piece)
                if total > limit:
                    raise ManifestTooLarge(limit)
                chunks.append(piece)
        finally:
            response.close()
        return b"".join(chunks)

    def get_image_manifest(self, ref: str, platform: PlatformSpec) -> ImageManifest:
        """The single-platform manifest for ``ref``: an index is resolved for ``platform``.

        Raises:
            PlatformNotFound: the index has no entry for ``platform``.
            ManifestUnknown: see :meth:`get_manifest`.
        """
        manifest = self.get_manifest(ref)
        if isinstance(manifest, ImageIndex):
            entry = manifest.select(platform)
            manifest = self.get_manifest(str(entry.digest))
        if not isinstance(manifest, ImageManifest):
            raise InvalidManifest("invalid manifest: an index entry points to another index")
        return manifest

    def head_manifest(self, ref: str, *, accept: str = MANIFEST_ACCEPT) -> Descriptor:
        """Media type, digest and size of the manifest ``ref``, without its body.

        When the registry does not send ``Docker-Content-Digest``, the manifest is
        fetched to compute it.

        Raises:
            ManifestUnknown: no such tag or digest.
        """
        response = self.transport.request(
            "HEAD",
            self._url("manifests", ref),
            host=self.host,
            scopes=self._pull,
            headers={"Accept": accept},
        )
        try:
            self.transport.check(response, not_found_code="MANIFEST_UNKNOWN")
        except ManifestUnknown as exc:
            raise exc.with_message(f"manifest for {self._display(ref)} not found: {exc}") from exc
        response.close()
        media_type = response.headers.get("content-type", "").split(";", 1)[0].strip()
        header = response.headers.get("docker-content-digest", "")
        length = response.headers.get("content-length", "")
        if header.startswith("sha256:") and length.isdigit():
            return Descriptor(media_type, Digest(header), int(length))
        manifest = self.get_manifest(ref, accept=accept)
        return Descriptor(manifest.media_type, manifest.digest, len(manifest.raw))

    def put_manifest(self, ref: str, raw: bytes, media_type: str) -> Digest:
        """Store manifest bytes under a tag or their digest; return their digest.

        ``media_type`` is sent as ``Content-Type`` (distribution goes by it, not by the
        body). Push every blob (and, for an index, every child) first.

        Raises:
            ManifestBlobUnknown: the repository lacks blobs the manifest references.
            ManifestInvalid: the registry refused the manifest.
            ContentDigestMismatch: the registry computed another digest.
        """
        digest = sha256_bytes(raw)
        response = self.transport.request(
            "PUT",
            self._url("manifests", ref),
            host=self.host,
            scopes=self._push,
            headers={"Content-Type": media_type},
            content=raw,
        )
        self.transport.check(response)
        response.read()
        answered = response.headers.get("docker-content-digest", "")
        if answered.startswith("sha256:") and answered != digest:
            raise ContentDigestMismatch(digest, answered, "manifest")
        return digest

    def delete_manifest(self, digest: Digest) -> None:
        """Delete the manifest ``digest`` (the registry must allow deletes).

        Raises:
            ManifestUnknown: no such manifest.
            Unsupported: deletes are disabled.
        """
        response = self.transport.request(
            "DELETE",
            self._url("manifests", str(digest)),
            host=self.host,
            scopes=frozenset({f"repository:{self.name}:delete"}),
        )
        self.transport.check(response, not_found_code="MANIFEST_UNKNOWN")
        response.close()

    # --- blobs ----------------------------------------------------------------------

    def stat_blob(self, digest: Digest) -> BlobInfo | None:
        """``HEAD`` a blob: its size when the repository has it, None when not.

        Raises:
            RegistryHTTPError: any answer but 2xx and 404.
        """
        response = self.transport.request(
            "HEAD",
            self._url("blobs", str(digest)),
            host=self.host,
            scopes=self._pull,
            follow_redirects=True,
        )
        response.close()
        if response.status_code == 404:
            return None
        self.transport.check(response, not_found_code="BLOB_UNKNOWN")
        length = response.headers.get("content-length", "")
        media_type = response.headers.get("content-type", "")
        return BlobInfo(digest, int(length) if length.isdigit() else None, media_type)

    def get_blob(
        self,
        digest: Digest,
        sink: BlobSink,
        *,
        size: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Stream blob ``digest`` into ``sink``, verified and resumable; return its size.

        See :func:`dockyard.registry.blobs.download_blob`.
        """
        return download_blob(
            self.transport, self.host, self.name, digest, sink, size=size, progress=progress
        )

    def read_blob(self, digest: Digest, *, max_size: int = DEFAULT_MANIFEST_LIMIT) -> bytes:
        """A small blob (an image config) in memory, verified.

        Raises:
            ManifestTooLarge: larger than ``max_size``.
        """
        sink = MemorySink(max_size)
        self.get_blob(digest, sink)
        return bytes(sink.data)

    def upload_blob(
        self,
        stream: IO[bytes],
        *,
        digest: Digest | None = None,
        size: int | None = None,
        chunk_size: int | None = None,
        mount_from: Sequence[str] = (),
        progress: ProgressCallback | None = None,
    ) -> PushedBlob:
        """Upload a blob from ``stream`` (or mount it); see :func:`~.uploads.upload_blob`."""
        return upload_blob(
            self.transport,
            self.host,
            self.name,
            stream,
            digest=digest,
            size=size,
            chunk_size=chunk_size,
            mount_from=mount_from,
            progress=progress,
        )

    def delete_blob(self, digest: Digest) -> None:
        """Delete a blob from the repository (the registry must allow deletes).

        Raises:
            BlobUnknown: no such blob.
        """
        response = self.transport.request(
            "DELETE",
            self._url("blobs", str(digest)),
            host=self.host,
            scopes=frozenset({f"repository:{self.name}:delete"}),
        )
        self.transport.check(response, not_found_code="BLOB_UNKNOWN")
        response.close()

    # --- tags -----------------------------------------------------------------------

    def list_tags(self, *, page_size: int | None = None) -> list[str]:
        """Every tag of the repository (``GET tags/list``, following ``Link`` pages).

        The registry's order is kept (distribution does not sort).

        Raises:
            NameUnknown: the repository does not exist.
        """
        url = f"{self.transport.base_url(self.host)}/v2/{self.name}/tags/list"
        if page_size is not None:
            url += f"?n={page_size}"
        return list(paginate(self.transport, self.host, url, self._pull, "tags"))
