"""Resilience against a fault-injecting proxy in front of real registries."""

from __future__ import annotations

import io
import os

import pytest

from dockyard.digest import Digest, sha256_bytes
from dockyard.errors import DigestMismatch, IntegrityError
from dockyard.registry import (
    ContentDigestMismatch,
    Credentials,
    FileSink,
    ManifestUnknown,
    RegistryClient,
    RegistryConnectionError,
    ServerError,
    StaticCredentials,
)
from tests.registry.conftest import PASSWORD, USER
from tests.registry.faultproxy import Fault
from tests.registry.images import make_image, push_image
from tests.registry.servers import RegistryProcess, free_port

BLOB = r"/blobs/sha256:"


def pushed_blob(
    client: RegistryClient, registry: RegistryProcess, repo_name: str, size: int = 1_000_000
) -> tuple[bytes, Digest]:
    data = os.urandom(size)
    repo = client.repository(f"{registry.host}/{repo_name}")
    repo.upload_blob(io.BytesIO(data), digest=sha256_bytes(data), size=len(data))
    return data, sha256_bytes(data)


def test_dropped_connection_resumes_with_range(client, registry, proxy, repo_name, work_dir):
    data, digest = pushed_blob(client, registry, repo_name)
    proxy.add(Fault("GET", BLOB, "drop", after=300_000))
    repo = client.repository(f"{proxy.address}/{repo_name}")
    with FileSink(work_dir / "blob") as sink:
        assert repo.get_blob(digest, sink, size=len(data)) == len(data)
    assert (work_dir / "blob").read_bytes() == data
    gets = proxy.requests_to("GET", BLOB)
    assert [g.sent for g in gets] == [300_000, len(data) - 300_000]
    assert "range" not in gets[0].headers
    assert gets[1].headers["range"] == "bytes=300000-"
    assert sum(g.sent for g in gets) == len(data)  # only the missing part came again


def test_partial_file_from_an_earlier_run_is_resumed(client, registry, proxy, repo_name, work_dir):
    data, digest = pushed_blob(client, registry, repo_name, 200_000)
    (work_dir / "blob").write_bytes(data[:123_456])
    repo = client.repository(f"{proxy.address}/{repo_name}")
    with FileSink(work_dir / "blob") as sink:
        repo.get_blob(digest, sink)
    assert (work_dir / "blob").read_bytes() == data
    (get,) = proxy.requests_to("GET", BLOB)
    assert get.headers["range"] == "bytes=123456-"
    assert get.sent == len(data) - 123_456


def test_500_and_429_are_retried_with_retry_after(client, registry, proxy, repo_name, sleeps):
    repo = client.repository(f"{registry.host}/{repo_name}")
    push_image(repo, make_image((10,)), "1")
    proxy.add(Fault("GET", "/manifests/1", "status", status=500))
    proxy.add(Fault("GET", "/manifests/1", "status", status=429, headers={"Retry-After": "2"}))
    via = client.repository(f"{proxy.address}/{repo_name}")
    assert via.get_manifest("1").digest is not None
    assert [e.status for e in proxy.requests_to("GET", "/manifests/1")] == [500, 429, 200]
    assert len(sleeps) == 2
    assert sleeps[1] == 2.0


def test_retries_are_bounded(client, registry, proxy, repo_name, sleeps):
    proxy.add(Fault("GET", "/manifests/1", "status", status=503, times=100))
    via = client.repository(f"{proxy.address}/{repo_name}")
    with pytest.raises(ServerError) as failed:
        via.get_manifest("1")
    assert failed.value.status == 503
    assert len(proxy.requests_to("GET", "/manifests/1")) == 4  # max_attempts
    assert len(sleeps) == 3


def test_no_retry_on_404(client, proxy, repo_name, sleeps):
    via = client.repository(f"{proxy.address}/{repo_name}")
    with pytest.raises(ManifestUnknown):
        via.get_manifest("missing")
    assert len(proxy.requests_to("GET", "/manifests/missing")) == 1
    assert sleeps == []


def test_connection_refused_is_bounded(client, sleeps):
    repo = client.repository(f"127.0.0.1:{free_port()}/nothing/here")
    with pytest.raises(RegistryConnectionError, match=r"http://127\.0\.0\.1"):
        repo.get_manifest("1")
    assert len(sleeps) == 3


def test_upload_restarts_after_a_server_error(client, registry, proxy, repo_name, sleeps):
    data = os.urandom(50_000)
    digest = sha256_bytes(data)
    proxy.add(Fault("PUT", r"/blobs/uploads/", "status", status=500))
    via = client.repository(f"{proxy.address}/{repo_name}")
    pushed = via.upload_blob(io.BytesIO(data), digest=digest, size=len(data))
    assert pushed.digest == digest
    assert len(proxy.requests_to("POST", r"/blobs/uploads/")) == 2
    assert via.read_blob(digest) == data


def test_wrong_digest_is_a_typed_error(client, registry, proxy, repo_name, work_dir):
    _data, digest = pushed_blob(client, registry, repo_name, 20_000)
    proxy.add(Fault("GET", BLOB, "corrupt"))
    via = client.repository(f"{proxy.address}/{repo_name}")
    with FileSink(work_dir / "blob") as sink, pytest.raises(ContentDigestMismatch) as bad:
        via.get_blob(digest, sink)
    assert isinstance(bad.value, DigestMismatch)
    assert isinstance(bad.value, IntegrityError)
    assert bad.value.expected == digest

    manifest_digest = push_image(
        client.repository(f"{registry.host}/{repo_name}"), make_image((10,)), "1"
    )
    proxy.add(Fault("GET", "/manifests/", "corrupt", times=2))
    with pytest.raises(ContentDigestMismatch, match="manifest digest mismatch"):
        via.get_manifest(str(manifest_digest))
    with pytest.raises(ContentDigestMismatch):  # by tag: checked against the header
        via.get_manifest("1")


def test_redirect_drops_authorization(
    make_client, basic_registry, make_proxy, blob_store, repo_name
):
    proxy = make_proxy(basic_registry.host)
    store, store_address = blob_store
    creds = StaticCredentials(
        {
            basic_registry.host: Credentials(USER, PASSWORD),
            proxy.address: Credentials(USER, PASSWORD),
        }
    )
    client = make_client(credentials=creds)
    data, digest = pushed_blob(client, basic_registry, repo_name, 30_000)
    path = f"/v2/{repo_name}/blobs/{digest}"
    store.blobs[path] = data
    proxy.add(Fault("GET", BLOB, "redirect", status=307, target=f"http://{store_address}"))
    via = client.repository(f"{proxy.address}/{repo_name}")
    assert via.read_blob(digest) == data
    (original,) = proxy.requests_to("GET", BLOB)
    assert original.status == 307
    assert original.headers["authorization"].startswith("Basic ")
    assert len(store.seen) == 1
    assert "authorization" not in store.seen[0]
