"""Pieces of the registry client that need no server: parsing, policies, credentials."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from dockyard.digest import sha256_bytes
from dockyard.errors import NotFoundError
from dockyard.oci import MEDIA_TYPE_INDEX, MEDIA_TYPE_MANIFEST
from dockyard.platforms import PlatformSpec, parse_platform
from dockyard.registry import (
    INDEX_SERVER,
    Authorizer,
    BlobUnknown,
    Challenge,
    Credentials,
    Denied,
    DockerConfig,
    ImageIndex,
    InvalidManifest,
    ManifestUnknown,
    PlatformNotFound,
    ProxyConfig,
    RegistryHTTPError,
    RetryPolicy,
    ServerError,
    TLSConfigError,
    TooManyRequests,
    Transport,
    TransportOptions,
    Unauthorized,
    client_ssl_context,
    credential_key,
    docker_config_dir,
    parse_challenges,
    parse_manifest,
    registry_host,
)
from dockyard.registry.errors import error_from_response
from dockyard.registry.retry import parse_retry_after

# --- challenges -----------------------------------------------------------------------


def test_parse_bearer_challenge_with_commas_in_quotes():
    (c,) = parse_challenges(
        [
            'Bearer realm="https://auth.example/token",service="reg",'
            'scope="repository:a/b:pull,push",error="insufficient_scope"'
        ]
    )
    assert c.scheme == "bearer"
    assert c.params == {
        "realm": "https://auth.example/token",
        "service": "reg",
        "scope": "repository:a/b:pull,push",
        "error": "insufficient_scope",
    }
    assert c.scopes == {"repository:a/b:pull,push"}


def test_parse_several_challenges():
    got = parse_challenges(['Basic realm="x", Bearer realm="y", service=s', "Negotiate"])
    assert [(c.scheme, c.params) for c in got] == [
        ("basic", {"realm": "x"}),
        ("bearer", {"realm": "y", "service": "s"}),
        ("negotiate", {}),
    ]


# --- errors ---------------------------------------------------------------------------


def test_error_bodies_become_typed_errors():
    body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}'
    err = error_from_response(404, body)
    assert isinstance(err, ManifestUnknown)
    assert isinstance(err, NotFoundError)
    assert str(err) == "manifest unknown: manifest unknown"
    two = error_from_response(
        400,
        json.dumps(
            {
                "errors": [
                    {
                        "code": "MANIFEST_BLOB_UNKNOWN",
                        "message": "blob unknown to registry",
                        "detail": "a",
                    },
                    {"code": "MANIFEST_BLOB_UNKNOWN", "detail": ["list"]},
                ]
            }
        ).encode(),
    )
    assert [e.detail for e in two.errors] == ["a", ["list"]]
    assert str(two).startswith("errors:\n")


@pytest.mark.parametrize(
    ("status", "body", "code", "cls", "text"),
    [
        (401, b"", None, Unauthorized, "unauthorized: authentication required"),
        (403, b"", None, Denied, "denied: requested access to the resource is denied"),
        (429, b"", None, TooManyRequests, "toomanyrequests: too many requests"),
        (404, b"", "BLOB_UNKNOWN", BlobUnknown, "blob unknown: blob unknown to registry"),
        (404, b"404 page not found\n", None, RegistryHTTPError, "unknown: 404 page not found"),
        (500, b"{}", None, ServerError, "unknown: {}"),
        (502, b"", None, ServerError, "unknown: unexpected status code 502"),
    ],
)
def test_bodiless_and_odd_errors(status, body, code, cls, text):
    err = error_from_response(status, body, not_found_code=code)
    assert type(err) is cls
    assert str(err) == text


# --- retry ----------------------------------------------------------------------------


def test_retry_policy_is_bounded_and_grows():
    policy = RetryPolicy(max_attempts=4, initial_backoff=1, max_backoff=3, jitter=False)
    assert [policy.delay_for(n, None) for n in (1, 2, 3, 4)] == [1, 2, 3, None]
    assert policy.delay_for(1, 7.0) == 7.0
    assert policy.delay_for(1, 600.0) is None  # longer than max_retry_after
    jittered = RetryPolicy(initial_backoff=2, jitter=True)
    assert all(1.0 <= jittered.backoff(1) <= 2.0 for _ in range(50))


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# --- authorizer -----------------------------------------------------------------------


class FakeTokenServer:
    def __init__(self, expires_in: int = 300) -> None:
        self.requests: list[httpx.Request] = []
        self.expires_in = expires_in

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        doc = {"access_token": f"t{len(self.requests)}", "expires_in": self.expires_in}
        return httpx.Response(200, json=doc, request=request)


def bearer(scope: str = "", error: str = "") -> list[Challenge]:
    extra = (f',scope="{scope}"' if scope else "") + (f',error="{error}"' if error else "")
    return parse_challenges([f'Bearer realm="https://auth/token",service="svc"{extra}'])


def test_tokens_are_cached_per_scope_and_refreshed_when_expired():
    now = [1000.0]
    server = FakeTokenServer(expires_in=120)
    auth = Authorizer(Credentials("u", "p"), server, clock=lambda: now[0])
    auth.set_challenges(bearer())
    pull = frozenset({"repository:a:pull"})
    assert auth.header(pull) == "Bearer t1"
    assert auth.header(pull) == "Bearer t1"
    assert auth.header(frozenset({"repository:a:pull,push"})) == "Bearer t2"
    now[0] += 119  # inside the refresh margin
    assert auth.header(pull) == "Bearer t3"
    request = server.requests[0]
    assert request.url.params.get_list("scope") == ["repository:a:pull"]
    assert request.url.params["account"] == "u"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"u:p").decode()


def test_insufficient_scope_widens_once():
    server = FakeTokenServer()
    auth = Authorizer(None, server)
    auth.set_challenges(bearer())
    scopes = frozenset({"repository:a:pull"})
    auth.header(scopes)
    challenge = (
        'Bearer realm="https://auth/token",service="svc",scope="repository:a:push",'
        'error="insufficient_scope"'
    )
    response = httpx.Response(401, headers={"WWW-Authenticate": challenge})
    wider = auth.on_unauthorized(response, scopes)
    assert wider == frozenset({"repository:a:pull,push"})
    assert auth.header(wider) == "Bearer t2"
    assert "authorization" not in server.requests[0].headers  # anonymous


def test_basic_challenge_sends_credentials_only_when_known():
    auth = Authorizer(Credentials("u", "p"), FakeTokenServer())
    auth.set_challenges(parse_challenges(['Basic realm="r"']))
    assert auth.header(frozenset()) == "Basic " + base64.b64encode(b"u:p").decode()
    assert Authorizer(None, FakeTokenServer()).header(frozenset()) is None


# --- credentials ----------------------------------------------------------------------


def test_docker_hub_aliases_share_one_key():
    for alias in ("docker.io", "index.docker.io", "registry-1.docker.io", INDEX_SERVER):
        assert credential_key(alias) == INDEX_SERVER
    assert credential_key("https://host:5000/v2/") == "host:5000"
    assert registry_host("docker.io") == "registry-1.docker.io"


def test_config_json_auths(tmp_path):
    encoded = base64.b64encode(b"bob:se:cret").decode()
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "auths": {
                    INDEX_SERVER: {"auth": encoded},
                    "https://other:5000/v1/": {"username": "x", "password": "y"},
                    "tok:1": {"identitytoken": "idt"},
                },
                "HttpHeaders": {"X": "1"},
            }
        )
    )
    config = DockerConfig(tmp_path)
    assert config.get("docker.io") == Credentials("bob", "se:cret")
    assert config.get("other:5000") == Credentials("x", "y")
    assert config.get("tok:1") == Credentials(identity_token="idt")
    assert config.get("nowhere") is None

    config.store("new:1", Credentials("n", "p"))
    doc = json.loads((tmp_path / "config.json").read_text())
    assert doc["auths"]["new:1"] == {"auth": base64.b64encode(b"n:p").decode()}
    assert doc["HttpHeaders"] == {"X": "1"}
    assert (tmp_path / "config.json").stat().st_mode & 0o777 == 0o600
    config.erase("new:1")
    assert "new:1" not in json.loads((tmp_path / "config.json").read_text())["auths"]


def test_docker_config_dir_from_env(tmp_path):
    assert docker_config_dir({"DOCKER_CONFIG": "/x/y"}).as_posix() == "/x/y"
    assert docker_config_dir({"HOME": "/home/z"}).as_posix() == "/home/z/.docker"


def test_credentials_repr_hides_secrets():
    assert "hunter2" not in repr(Credentials("u", "hunter2", "tok", "reg"))


# --- proxies and TLS ------------------------------------------------------------------


def test_no_proxy_rules():
    config = ProxyConfig(
        http="http://p:3128",
        https="http://p:3128",
        no_proxy="internal.example, .corp, 10.0.0.0/8, host:5000",
    )

    def via(url: str) -> str | None:
        return config.for_url(httpx.URL(url))

    assert via("https://registry-1.docker.io/v2/") == "http://p:3128"
    assert via("https://a.internal.example/v2/") is None
    assert via("https://x.corp/v2/") is None
    assert via("http://10.1.2.3:5000/v2/") is None
    assert via("http://host:5000/v2/") is None
    assert via("http://host:5001/v2/") == "http://p:3128"
    assert via("http://127.0.0.1:5000/v2/") is None  # loopback is never proxied
    assert ProxyConfig.from_env({"https_proxy": "http://q"}).https == "http://q"


def test_certs_d_pairs_must_be_complete(tmp_path):
    host_dir = tmp_path / "reg:5000"
    host_dir.mkdir()
    (host_dir / "client.cert").write_text("x")
    with pytest.raises(TLSConfigError, match=r"missing key client\.key"):
        client_ssl_context("reg:5000", tmp_path)
    (host_dir / "client.cert").unlink()
    (host_dir / "client.key").write_text("x")
    with pytest.raises(TLSConfigError, match=r"missing client certificate client\.cert"):
        client_ssl_context("reg:5000", tmp_path)
    (host_dir / "client.key").unlink()
    (host_dir / "ca.crt").write_text("not a certificate")
    with pytest.raises(TLSConfigError, match="cannot load"):
        client_ssl_context("reg:5000", tmp_path)
    assert client_ssl_context("elsewhere", tmp_path).verify_mode.name == "CERT_REQUIRED"


# --- manifests ------------------------------------------------------------------------


def _entry(arch: str, variant: str = "", os_name: str = "linux") -> dict[str, object]:
    plat: dict[str, str] = {"architecture": arch, "os": os_name}
    if variant:
        plat["variant"] = variant
    digest = sha256_bytes(f"{arch}{variant}{os_name}".encode())
    return {"mediaType": MEDIA_TYPE_MANIFEST, "size": 1, "digest": str(digest), "platform": plat}


def test_platform_selection_rules():
    raw = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_INDEX,
            "manifests": [
                {
                    "mediaType": MEDIA_TYPE_MANIFEST,
                    "size": 1,
                    "digest": str(sha256_bytes(b"att")),
                    "platform": {"architecture": "unknown", "os": "unknown"},
                },
                _entry("arm"),
                _entry("arm", "v6"),
                _entry("arm", "v7"),
                _entry("arm64", "v8"),
                _entry("amd64", os_name="windows"),
                _entry("amd64"),
            ],
        }
    ).encode()
    index = parse_manifest(raw)
    assert isinstance(index, ImageIndex)

    def pick(text: str) -> str:
        return str(index.select(parse_platform(text)).platform)

    assert pick("linux/arm/v7") == "linux/arm/v7"
    assert pick("linux/arm/v6") == "linux/arm/v6"
    assert pick("linux/arm64") == "linux/arm64/v8"
    assert pick("linux/amd64") == "linux/amd64"
    assert str(index.select(PlatformSpec("windows", "amd64")).platform) == "windows/amd64"
    with pytest.raises(PlatformNotFound):
        index.select(PlatformSpec("linux", "riscv64"))


@pytest.mark.parametrize(
    ("raw", "media_type", "message"),
    [
        (b"not json", None, "invalid manifest"),
        (b'{"schemaVersion":1,"name":"x"}', None, "schema 1 is not supported"),
        (
            json.dumps(
                {"schemaVersion": 2, "mediaType": MEDIA_TYPE_MANIFEST, "config": {}, "layers": []}
            ).encode(),
            None,
            "config: invalid size",
        ),
        (
            json.dumps({"mediaType": MEDIA_TYPE_INDEX, "manifests": []}).encode(),
            MEDIA_TYPE_MANIFEST,
            "does not match content type",
        ),
        (b'{"mediaType":"application/vnd.example+json"}', None, "unsupported manifest media type"),
    ],
)
def test_bad_manifests(raw, media_type, message):
    with pytest.raises(InvalidManifest, match=message):
        parse_manifest(raw, media_type)


def test_manifest_media_type_from_body_when_header_is_generic():
    raw = json.dumps({"schemaVersion": 2, "manifests": []}).encode()
    index = parse_manifest(raw, "application/json; charset=utf-8")
    assert isinstance(index, ImageIndex)
    assert index.media_type == MEDIA_TYPE_INDEX
    assert index.digest == sha256_bytes(raw)


def test_insecure_registries():
    transport = Transport(TransportOptions(insecure=["reg.local:5000", "10.0.0.0/8"]))
    assert transport.is_insecure("127.0.0.1:5000")
    assert transport.is_insecure("localhost")
    assert transport.is_insecure("[::1]:5000")
    assert transport.is_insecure("reg.local:5000")
    assert transport.is_insecure("10.2.3.4:443")
    assert not transport.is_insecure("reg.local:5001")
    assert not transport.is_insecure("registry-1.docker.io")
    transport.close()
