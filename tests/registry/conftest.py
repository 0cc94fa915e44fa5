"""Fixtures: real distribution 2.8 registries on loopback (open, Basic, Bearer) and clients.

Each registry is a `docker-registry serve` process with a generated config (filesystem
storage in a temporary directory, deletes enabled, a free port on 127.0.0.1), started
once per session and killed at the end. Tests use unique repository names, so they do
not see each other's content.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("httpx", reason="the registry client needs httpx (pip install httpx)")

from dockyard.registry import RegistryClient, RetryPolicy
from tests.registry.faultproxy import FaultProxy
from tests.registry.servers import (
    BlobStore,
    RegistryProcess,
    ThreadedServer,
    TokenIssuer,
    TokenServer,
    bcrypt_hash,
    serving,
)

USER, PASSWORD = "alice", "wonderland"
SERVICE = "dockyard-test-registry"


_REAL = {
    "registry",
    "basic_registry",
    "token_registry",
    "token_setup",
    "proxy",
    "make_proxy",
    "tls_registry",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # every test that runs a real docker-registry is a compatibility test
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents and _REAL & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.compat)


@pytest.fixture(scope="session")
def session_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="dockyard-registry-tests-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def work_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="dockyard-registry-test-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _start(root: Path, auth: dict[str, Any] | None = None) -> RegistryProcess:
    root.mkdir(parents=True, exist_ok=True)
    process = RegistryProcess(root, auth)
    process.start()
    return process


@pytest.fixture(scope="session")
def registry(session_dir: Path) -> Iterator[RegistryProcess]:
    """An open registry."""
    process = _start(session_dir / "open")
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def basic_registry(session_dir: Path) -> Iterator[RegistryProcess]:
    """A registry with htpasswd Basic auth (user alice)."""
    root = session_dir / "basic"
    root.mkdir()
    htpasswd = root / "htpasswd"
    htpasswd.write_text(f"{USER}:{bcrypt_hash(PASSWORD)}\n")
    auth = {"htpasswd": {"realm": "dockyard-basic", "path": str(htpasswd)}}
    process = _start(root, auth)
    try:
        yield process
    finally:
        process.stop()


@dataclass
class TokenSetup:
    registry: RegistryProcess
    tokens: TokenServer
    realm: str


@pytest.fixture(scope="session")
def token_registry(session_dir: Path) -> Iterator[TokenSetup]:
    """A registry with Bearer token auth and its token server (ES256 JWTs, x5c header)."""
    root = session_dir / "token"
    root.mkdir()
    issuer = TokenIssuer(root)
    tokens = TokenServer(issuer, SERVICE, {USER: PASSWORD})
    server = ThreadedServer(("127.0.0.1", 0), tokens.handler())
    with serving(server) as address:
        realm = f"http://{address}/token"
        auth = {
            "token": {
                "realm": realm,
                "service": SERVICE,
                "issuer": issuer.issuer,
                "rootcertbundle": str(issuer.cert_path),
            }
        }
        process = _start(root, auth)
        try:
            yield TokenSetup(process, tokens, realm)
        finally:
            process.stop()


@pytest.fixture
def token_setup(token_registry: TokenSetup) -> TokenSetup:
    token_registry.tokens.requests.clear()
    token_registry.tokens.expires_in = 300
    return token_registry


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def retry(sleeps: list[float]) -> RetryPolicy:
    """A fast, recording retry policy: 4 tries, tiny delays."""
    return RetryPolicy(
        max_attempts=4,
        initial_backoff=0.01,
        max_backoff=0.05,
        max_retry_after=5,
        sleep=sleeps.append,
    )


@pytest.fixture
def make_client(retry: RetryPolicy) -> Iterator[Callable[..., RegistryClient]]:
    clients: list[RegistryClient] = []

    def make(**kwargs: Any) -> RegistryClient:
        kwargs.setdefault("retry", retry)
        kwargs.setdefault("timeout", 15.0)
        client = RegistryClient(**kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., RegistryClient]) -> RegistryClient:
    return make_client()


@pytest.fixture
def repo_name(request: pytest.FixtureRequest) -> str:
    base = "".join(c if c.isalnum() else "-" for c in request.node.name.lower()).strip("-")
    return f"t/{base[:40].strip('-')}-{secrets.token_hex(3)}"


@pytest.fixture
def make_proxy() -> Iterator[Callable[[str], FaultProxy]]:
    """Start fault-injecting proxies in front of given upstreams (stopped after the test)."""
    with contextlib.ExitStack() as stack:

        def make(upstream: str) -> FaultProxy:
            fault_proxy = FaultProxy(upstream)
            stack.enter_context(serving(fault_proxy.server))
            return fault_proxy

        yield make


@pytest.fixture
def proxy(registry: RegistryProcess, make_proxy: Callable[[str], FaultProxy]) -> FaultProxy:
    """A fault-injecting proxy in front of the open registry."""
    return make_proxy(registry.host)


@pytest.fixture
def blob_store() -> Iterator[tuple[BlobStore, str]]:
    store = BlobStore()
    server = ThreadedServer(("127.0.0.1", 0), store.handler())
    with serving(server) as address:
        yield store, address
