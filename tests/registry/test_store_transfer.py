"""Pull, push and copy between the store and a real registry, bytes counted at a proxy."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import dockyard
from dockyard.errors import DockyardError, NotFoundError
from dockyard.platforms import host_platform
from dockyard.reference import parse_normalized_named
from dockyard.registry import RegistryClient, RetryPolicy
from dockyard.registry.manifests import ImageManifest
from dockyard.service.copy import copy_image
from dockyard.service.pull import pull
from dockyard.service.push import ImageNotLocal, push
from dockyard.service.tags import tag_image
from dockyard.store.distribution import read_metadata
from tests.registry.faultproxy import Exchange, Fault, FaultProxy
from tests.registry.images import docker_archive
from tests.registry.servers import RegistryProcess

SIZES = (2_000, 3_000_000, 40_000, 5_000, 70_000)  # five layers, one of 3 MB


def _sent(log: list[Exchange], method: str, pattern: str = "/blobs/uploads/") -> int:
    """Request body bytes the client sent to matching requests (recorded by the proxy)."""
    return sum(int(e.headers.get("Content-Length") or 0) for e in log
               if e.method == method and pattern in e.path)  # fmt: skip


def _layer_bytes_up(proxy: FaultProxy) -> int:
    with proxy.lock:
        log = list(proxy.log)
    return _sent(log, "PUT") + _sent(log, "PATCH")


def _blob_bytes_down(proxy: FaultProxy) -> int:
    with proxy.lock:
        return sum(e.sent for e in proxy.log if e.method == "GET" and "/blobs/" in e.path)


def _snapshot(root: Path) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == "tmp" or rel.startswith(("tmp/", "index/")):
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        out[rel] = (path.lstat().st_mode, digest)
    return out


@pytest.fixture
def loaded(tmp_path: Path) -> dockyard.Client:
    client = dockyard.open(tmp_path / "store")
    from dockyard.archive.load import load

    archive = tmp_path / "app.tar"
    docker_archive(archive, "oracle/app:1", SIZES)
    load(client, archive)
    return client


@pytest.fixture
def fast_client() -> Iterator[Callable[..., RegistryClient]]:
    clients: list[RegistryClient] = []

    def make(**kwargs: object) -> RegistryClient:
        policy = RetryPolicy(max_attempts=kwargs.pop("attempts", 3),  # type: ignore[arg-type]
                             initial_backoff=0.01, max_backoff=0.02)  # fmt: skip
        client = RegistryClient(retry=policy, **kwargs)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_repush_after_load_sends_no_layer_and_keeps_the_digest(
    loaded: dockyard.Client, proxy: FaultProxy, repo_name: str, fast_client
) -> None:
    name = f"{proxy.address}/{repo_name}:1"
    tag_image(loaded, "oracle/app:1", name)
    registry = fast_client()
    (first,) = push(loaded, name, registry=registry)
    assert first.bytes_sent > 3_000_000  # the random layer does not compress
    assert first.lines[0].endswith(": Preparing")
    assert first.lines[-1] == f"1: digest: {first.digest} size: {first.size}"
    before = _layer_bytes_up(proxy)
    (again,) = push(loaded, name, registry=registry)
    assert _layer_bytes_up(proxy) == before, "a re-push uploads no layer bytes"
    assert again.bytes_sent == 0
    assert again.digest == first.digest
    assert sum("Layer already exists" in line for line in again.lines) == 5
    with loaded.view() as view:
        refs = [r.name for r in view.ref_rows(first.image_id)]
    assert f"{proxy.address}/{repo_name}@{first.digest}" in refs  # RepoDigests
    diff_ids = loaded.image_store.get(first.image_id).rootfs.diff_ids  # type: ignore[union-attr]
    entries = read_metadata(loaded.layout, diff_ids[0])
    assert entries
    assert entries[-1].source_repository == f"{proxy.address}/{repo_name}"
    assert entries[-1].hmac, "Docker tags push entries with an HMAC"


def test_pull_then_push_elsewhere_mounts_every_layer(
    loaded: dockyard.Client, proxy: FaultProxy, repo_name: str, tmp_path: Path, fast_client
) -> None:
    source = f"{proxy.address}/{repo_name}-src:1"
    tag_image(loaded, "oracle/app:1", source)
    registry = fast_client()
    push(loaded, source, registry=registry)
    fresh = dockyard.open(tmp_path / "fresh")
    (pulled,) = pull(fresh, source, registry=registry)
    assert pulled.downloaded
    assert pulled.layers_downloaded == 5
    assert pulled.lines[0] == f"1: Pulling from {repo_name}-src"
    assert pulled.lines[-1] == f"Status: Downloaded newer image for {source}"
    with fresh.view() as view:
        assert view.image(pulled.image_id) is not None
        assert view.lookup(parse_normalized_named(source)) == pulled.image_id
    before = _layer_bytes_up(proxy)
    target = f"{proxy.address}/{repo_name}-dst:1"
    tag_image(fresh, source, target)
    (pushed,) = push(fresh, target, registry=registry)
    assert _layer_bytes_up(proxy) == before, "layers are mounted, not uploaded"
    assert sum(line.endswith(f"Mounted from {repo_name}-src") for line in pushed.lines) == 5
    (again,) = pull(fresh, source, registry=registry)
    assert not again.downloaded
    assert again.lines[-1] == f"Status: Image is up to date for {source}"


def test_interrupted_pull_resumes_with_only_the_missing_bytes(
    loaded: dockyard.Client, proxy: FaultProxy, repo_name: str, tmp_path: Path, fast_client
) -> None:
    name = f"{proxy.address}/{repo_name}:1"
    tag_image(loaded, "oracle/app:1", name)
    push(loaded, name, registry=fast_client())
    manifest = _manifest(fast_client(), name)
    total = manifest.config.size + sum(d.size for d in manifest.layers)  # a pull gets both
    fresh = dockyard.open(tmp_path / "fresh")
    # Every blob download is cut after 1,000,000 bytes and the client may not retry: the
    # pull fails, keeping what it got of the big layers.
    proxy.add(Fault("GET", r"/blobs/sha256:", "drop", after=1_000_000, times=100))
    with pytest.raises(DockyardError):
        pull(fresh, name, registry=fast_client(attempts=1))
    content = fresh.layout.content
    assert not content.exists() or not any(content.iterdir()), "no image was stored"
    kept = [p for p in (fresh.root / "tmp" / "downloads").iterdir() if p.name.isalnum()]
    held = sum(p.stat().st_size for p in kept)
    assert held >= 1_000_000
    proxy.faults.clear()
    downloaded = _blob_bytes_down(proxy)
    (pulled,) = pull(fresh, name, registry=fast_client())
    second = _blob_bytes_down(proxy) - downloaded
    assert second == total - held, "the second pull downloads only what was missing"
    assert pulled.layers_downloaded == 5
    assert dockyard.open(fresh.root).image_store.get(pulled.image_id).id == pulled.image_id
    left = [p for p in (fresh.root / "tmp" / "downloads").iterdir() if p.name.isalnum()]
    assert left == [], "a pull removes the downloads it used"


def _manifest(registry: RegistryClient, name: str) -> ImageManifest:
    repository = registry.repository(name)
    return repository.get_image_manifest(name.rpartition(":")[2], host_platform())


def test_failed_pull_changes_nothing(
    loaded: dockyard.Client, registry: RegistryProcess, repo_name: str, fast_client
) -> None:
    before = _snapshot(loaded.root)
    with pytest.raises(NotFoundError, match="manifest unknown"):
        pull(loaded, f"{registry.host}/{repo_name}:nope", registry=fast_client())
    assert _snapshot(loaded.root) == before


def test_push_of_a_missing_tag_uses_dockers_words(
    loaded: dockyard.Client, registry: RegistryProcess, repo_name: str, fast_client
) -> None:
    with pytest.raises(ImageNotLocal, match=f"^An image does not exist locally with the tag: "
                       f"{registry.host}/{repo_name}$"):  # fmt: skip
        push(loaded, f"{registry.host}/{repo_name}:7", registry=fast_client())


def test_copy_between_registries_keeps_digests_and_archives_round_trip(
    loaded: dockyard.Client,
    registry: RegistryProcess,
    repo_name: str,
    tmp_path: Path,
    fast_client,
) -> None:
    name = f"{registry.host}/{repo_name}:1"
    tag_image(loaded, "oracle/app:1", name)
    registry_client = fast_client()
    (pushed,) = push(loaded, name, registry=registry_client)
    mirrored = f"{registry.host}/{repo_name}-mirror:2"
    copy_image(loaded, f"docker://{name}", f"docker://{mirrored}", registry=registry_client)
    manifest = registry_client.repository(mirrored).get_manifest("2")
    assert manifest.digest == pushed.digest, "a registry copy keeps the manifest bytes"
    out = tmp_path / "copied.tar"
    other = dockyard.open(tmp_path / "other")
    copy_image(other, f"docker://{mirrored}", f"docker-archive:{out}:copied/app:3",
               registry=registry_client)  # fmt: skip
    assert len(other.image_store) == 0, "a copy between two other media leaves the store alone"
    copy_image(other, f"docker-archive:{out}", "dockyard:again/app:4", registry=registry_client)
    assert other.reference_store.get("again/app:4") == pushed.image_id
    assert os.path.getsize(out) > 0
