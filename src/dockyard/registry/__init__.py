"""A client for OCI / Docker registries (distribution API v2), on httpx.

Invariants:

* A blob is never held in memory: downloads stream into a caller-owned sink, uploads
  stream from a caller's file object, both in small pieces.
* Every byte received is verified: a blob or a manifest asked for by digest must hash to
  it (else :class:`ContentDigestMismatch`); a manifest asked for by tag is hashed and the
  digest returned with it. Raw manifest bytes are kept as received.
* ``Authorization`` is only ever sent to the registry's own origin (scheme, host and
  port); a redirect elsewhere (blob storage) goes without it.
* Retries are bounded (:class:`RetryPolicy`): network errors, 429 (``Retry-After``
  honoured) and 5xx; no other 4xx is retried, and a 401 is answered once, with a fresh
  or wider token.
* The library never reads the environment: credentials directories, ``certs.d``,
  proxies and insecure registries are all passed in.

Example::

    config = DockerConfig(docker_config_dir(os.environ))      # the CLI reads the env
    with RegistryClient(credentials=config, proxy=ProxyConfig.from_env(os.environ)) as rc:
        repo = rc.repository("localhost:5000/team/app")
        manifest = repo.get_image_manifest("1.0", host_platform())
        with FileSink(staging / manifest.config.digest.hex) as sink:
            repo.get_blob(manifest.config.digest, sink, size=manifest.config.size)
        pushed = repo.upload_blob(open(path, "rb"), digest=d, size=n, mount_from=["team/base"])
        repo.put_manifest("1.1", raw, MEDIA_TYPE_DOCKER_MANIFEST)
"""

from __future__ import annotations

from dockyard.registry.auth import Authorizer, Challenge, parse_challenges, repository_scope
from dockyard.registry.blobs import BlobInfo, BlobSink, FileSink, MemorySink, ResumableSink
from dockyard.registry.client import DEFAULT_MANIFEST_LIMIT, RegistryClient, Repository
from dockyard.registry.credentials import (
    INDEX_SERVER,
    CredentialHelperError,
    Credentials,
    CredentialStore,
    DockerConfig,
    StaticCredentials,
    credential_key,
    docker_config_dir,
)
from dockyard.registry.errors import (
    AuthenticationError,
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    ContentDigestMismatch,
    Denied,
    DigestInvalid,
    ErrorEntry,
    InvalidManifest,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestTooLarge,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    NoBasicAuthCredentials,
    PlatformNotFound,
    RegistryConnectionError,
    RegistryHTTPError,
    ServerError,
    SizeInvalid,
    TagInvalid,
    TooManyRequests,
    Unauthorized,
    Unsupported,
)
from dockyard.registry.manifests import (
    MANIFEST_ACCEPT,
    MEDIA_TYPE_DOCKER_LIST,
    MEDIA_TYPE_DOCKER_MANIFEST,
    ImageIndex,
    ImageManifest,
    IndexEntry,
    Manifest,
    Platform,
    parse_manifest,
    select_platform,
)
from dockyard.registry.proxy import ProxyConfig
from dockyard.registry.retry import RetryPolicy
from dockyard.registry.tls import TLSConfigError, client_ssl_context
from dockyard.registry.transport import Transport, TransportOptions, registry_host
from dockyard.registry.uploads import PushedBlob

__all__ = [
    "DEFAULT_MANIFEST_LIMIT",
    "INDEX_SERVER",
    "MANIFEST_ACCEPT",
    "MEDIA_TYPE_DOCKER_LIST",
    "MEDIA_TYPE_DOCKER_MANIFEST",
    "AuthenticationError",
    "Authorizer",
    "BlobInfo",
    "BlobSink",
    "BlobUnknown",
    "BlobUploadInvalid",
    "BlobUploadUnknown",
    "Challenge",
    "ContentDigestMismatch",
    "CredentialHelperError",
    "CredentialStore",
    "Credentials",
    "Denied",
    "DigestInvalid",
    "DockerConfig",
    "ErrorEntry",
    "FileSink",
    "ImageIndex",
    "ImageManifest",
    "IndexEntry",
    "InvalidManifest",
    "Manifest",
    "MemorySink",
    "ManifestBlobUnknown",
    "ManifestInvalid",
    "ManifestTooLarge",
    "ManifestUnknown",
    "NoBasicAuthCredentials",
    "NameInvalid",
    "NameUnknown",
    "Platform",
    "PlatformNotFound",
    "ProxyConfig",
    "PushedBlob",
    "RegistryClient",
    "RegistryConnectionError",
    "RegistryHTTPError",
    "Repository",
    "ResumableSink",
    "RetryPolicy",
    "ServerError",
    "SizeInvalid",
    "StaticCredentials",
    "TLSConfigError",
    "TagInvalid",
    "TooManyRequests",
    "Transport",
    "TransportOptions",
    "Unauthorized",
    "Unsupported",
    "client_ssl_context",
    "credential_key",
    "docker_config_dir",
    "parse_challenges",
    "parse_manifest",
    "registry_host",
    "repository_scope",
    "select_platform",
]
