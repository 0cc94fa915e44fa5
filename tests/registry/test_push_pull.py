"""Push and pull against a real distribution 2.8 (open registry)."""

from __future__ import annotations

import io
import json
import os

import pytest

from dockyard.digest import sha256_bytes
from dockyard.errors import NotFoundError, RegistryError
from dockyard.oci import MEDIA_TYPE_INDEX, MEDIA_TYPE_MANIFEST
from dockyard.platforms import PlatformSpec, parse_platform
from dockyard.progress import Progress
from dockyard.registry import (
    MEDIA_TYPE_DOCKER_LIST,
    BlobUnknown,
    FileSink,
    ImageIndex,
    ImageManifest,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestTooLarge,
    ManifestUnknown,
    NameUnknown,
    PlatformNotFound,
    RegistryClient,
)
from tests.registry.images import make_image, push_image
from tests.registry.servers import RegistryProcess


def repo_of(client: RegistryClient, registry: RegistryProcess, name: str):
    return client.repository(f"{registry.host}/{name}")


def test_push_then_pull_by_tag_and_digest(client, registry, repo_name, work_dir):
    repo = repo_of(client, registry, repo_name)
    image = make_image()
    digest = push_image(repo, image, "1")
    assert digest == image.digest

    by_tag = repo.get_manifest("1")
    assert isinstance(by_tag, ImageManifest)
    assert by_tag.raw == image.manifest
    assert by_tag.digest == digest
    by_digest = repo.get_manifest(str(digest))
    assert by_digest.raw == image.manifest

    head = repo.head_manifest("1")
    assert (head.digest, head.size) == (digest, len(image.manifest))
    assert head.media_type == by_tag.media_type

    layer = by_tag.layers[1]
    events: list[Progress] = []
    with FileSink(work_dir / "layer") as sink:
        size = repo.get_blob(layer.digest, sink, size=layer.size, progress=events.append)
    assert size == layer.size
    assert (work_dir / "layer").read_bytes() == image.layers[1]
    assert events[-1].done
    assert events[-1].current == layer.size
    assert repo.read_blob(by_tag.config.digest) == image.config


def test_upload_variants(client, registry, repo_name):
    repo = repo_of(client, registry, repo_name)
    data = os.urandom(300_000)
    digest = sha256_bytes(data)
    # chunked, with Content-Range, following every Location
    pushed = repo.upload_blob(io.BytesIO(data), digest=digest, size=len(data), chunk_size=65_536)
    assert (pushed.digest, pushed.size, pushed.mounted_from) == (digest, len(data), None)
    info = repo.stat_blob(digest)
    assert info is not None
    assert info.size == len(data)

    # digest and size unknown: one streamed PATCH, digest computed on the way
    other = os.urandom(10_000)
    streamed = repo.upload_blob(_NonSeekable(other))
    assert streamed.digest == sha256_bytes(other)
    assert streamed.size == len(other)
    assert repo.read_blob(streamed.digest) == other

    empty = repo.upload_blob(io.BytesIO(b""), digest=sha256_bytes(b""), size=0)
    assert empty.size == 0
    assert repo.stat_blob(sha256_bytes(b"missing")) is None


def test_cross_repo_mount_and_fallback(client, registry, repo_name):
    source = repo_of(client, registry, repo_name + "-src")
    target = repo_of(client, registry, repo_name + "-dst")
    data = os.urandom(5000)
    digest = sha256_bytes(data)
    source.upload_blob(io.BytesIO(data), digest=digest, size=len(data))
    mounted = target.upload_blob(
        io.BytesIO(data), digest=digest, size=len(data), mount_from=[source.name]
    )
    assert mounted.mounted_from == source.name
    assert target.stat_blob(digest) is not None

    # the registry answers 202 for an unknown source: the upload goes on in that session
    fresh = os.urandom(4000)
    pushed = target.upload_blob(
        io.BytesIO(fresh),
        digest=sha256_bytes(fresh),
        size=len(fresh),
        mount_from=[repo_name + "-nowhere"],
    )
    assert pushed.mounted_from is None
    assert target.read_blob(pushed.digest) == fresh


def test_index_and_platform_selection(client, registry, repo_name):
    repo = repo_of(client, registry, repo_name)
    amd, arm = make_image(arch="amd64"), make_image(arch="arm64")
    entries = []
    for image, plat in (
        (amd, {"architecture": "amd64", "os": "linux"}),
        (arm, {"architecture": "arm64", "os": "linux", "variant": "v8"}),
    ):
        digest = push_image(repo, image, str(image.digest).replace(":", "-")[:20])
        entries.append(
            {
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "size": len(image.manifest),
                "digest": str(digest),
                "platform": plat,
            }
        )
    for media_type, tag in ((MEDIA_TYPE_INDEX, "oci"), (MEDIA_TYPE_DOCKER_LIST, "docker")):
        raw = json.dumps(
            {"schemaVersion": 2, "mediaType": media_type, "manifests": entries}
        ).encode()
        repo.put_manifest(tag, raw, media_type)
        index = repo.get_manifest(tag)
        assert isinstance(index, ImageIndex)
        assert index.media_type == media_type
        assert index.raw == raw
        chosen = repo.get_image_manifest(tag, parse_platform("linux/aarch64"))
        assert chosen.raw == arm.manifest
        assert repo.get_image_manifest(tag, PlatformSpec("linux", "amd64")).raw == amd.manifest
        with pytest.raises(PlatformNotFound, match="no matching manifest for linux/s390x"):
            repo.get_image_manifest(tag, PlatformSpec("linux", "s390x"))


def test_oci_manifest_roundtrip(client, registry, repo_name):
    repo = repo_of(client, registry, repo_name)
    image = make_image((1000,))
    for blob in image.blobs():
        repo.upload_blob(io.BytesIO(blob), digest=sha256_bytes(blob), size=len(blob))
    doc = json.loads(image.manifest)
    doc["mediaType"] = MEDIA_TYPE_MANIFEST
    raw = json.dumps(doc).encode()
    digest = repo.put_manifest("oci", raw, MEDIA_TYPE_MANIFEST)
    got = repo.get_manifest("oci")
    assert got.media_type == MEDIA_TYPE_MANIFEST
    assert got.digest == digest
    # the wrong content type is refused by distribution
    with pytest.raises(ManifestInvalid):
        repo.put_manifest("bad", raw, "application/vnd.docker.distribution.manifest.v2+json")


def test_errors_have_docker_wording(client, registry, repo_name):
    repo = repo_of(client, registry, repo_name)
    push_image(repo, make_image((10,)), "1")
    with pytest.raises(ManifestUnknown) as missing:
        repo.get_manifest("nope")
    assert str(missing.value) == (
        f"manifest for {registry.host}/{repo_name}:nope not found: manifest unknown: "
        "manifest unknown"
    )
    assert isinstance(missing.value, NotFoundError)
    assert isinstance(missing.value, RegistryError)
    assert missing.value.status == 404
    with pytest.raises(ManifestUnknown, match="manifest unknown"):
        repo.head_manifest("nope")

    nothing = sha256_bytes(b"nothing")
    with pytest.raises(BlobUnknown, match=r"^blob unknown: blob unknown to registry$"):
        repo.read_blob(nothing)
    with pytest.raises(NameUnknown, match="name unknown: repository name not known to registry"):
        repo_of(client, registry, repo_name + "-none").list_tags()

    bogus = make_image((10,))
    with pytest.raises(ManifestBlobUnknown) as blob_unknown:
        repo.put_manifest(
            "2", bogus.manifest, "application/vnd.docker.distribution.manifest.v2+json"
        )
    assert len(blob_unknown.value.errors) == 2  # one per missing blob, config included


def test_tags_pagination_and_delete(client, registry, repo_name):
    repo = repo_of(client, registry, repo_name)
    image = make_image((10,))
    digest = push_image(repo, image, "a")
    for tag in ("b", "c"):
        repo.put_manifest(
            tag, image.manifest, "application/vnd.docker.distribution.manifest.v2+json"
        )
    assert sorted(repo.list_tags()) == ["a", "b", "c"]
    assert sorted(repo.list_tags(page_size=1)) == ["a", "b", "c"]
    names = list(client.catalog(registry.host, page_size=1))
    assert repo_name in names

    repo.delete_manifest(digest)
    with pytest.raises(ManifestUnknown):
        repo.get_manifest(str(digest))
    layer = sha256_bytes(image.layers[0])
    repo.delete_blob(layer)
    assert repo.stat_blob(layer) is None


class _NonSeekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


def test_manifest_size_limit(make_client, registry, repo_name):
    image = make_image((10,))
    push_image(repo_of(make_client(), registry, repo_name), image, "1")
    small = make_client(max_manifest_size=len(image.manifest) - 1)
    with pytest.raises(ManifestTooLarge):
        repo_of(small, registry, repo_name).get_manifest("1")
    exact = make_client(max_manifest_size=len(image.manifest))
    assert repo_of(exact, registry, repo_name).get_manifest("1").raw == image.manifest
