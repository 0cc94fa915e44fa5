"""Pull, push, ``/auth`` and ``/distribution`` over HTTP, against real loopback registries.

The shapes and statuses are dockerd's (recorded from a private dockerd 20.10 with the same
requests; ``docs/engine-api.md``): errors before the first message are answers with
dockerd's status, later ones ``errorDetail`` messages in a 200; ``push`` ends each tag
with the ``aux`` message; events ``pull`` and ``push`` name the reference.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dockyard.progress import Message
from tests.registry.conftest import PASSWORD, USER, TokenSetup
from tests.registry.images import docker_archive
from tests.registry.servers import RegistryProcess
from tests.server.helpers import ServerProcess

pytestmark = pytest.mark.compat


def auth_header(config: dict[str, str]) -> dict[str, str]:
    """``X-Registry-Auth`` as the Docker CLI sends it (base64url of the JSON)."""
    return {"X-Registry-Auth": base64.urlsafe_b64encode(json.dumps(config).encode()).decode()}


ANONYMOUS = auth_header({})


def messages(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"] == "application/json"
    return [json.loads(line) for line in response.text.split("\r\n") if line]


def lines(response: httpx.Response) -> list[str]:
    """What the CLI prints of a stream (no transfers in progress)."""
    out = []
    for item in messages(response):
        detail = item.get("progressDetail")
        if "aux" in item or (isinstance(detail, dict) and detail.get("current")):
            continue
        out.append(f"{item['id']}: {item['status']}" if "id" in item else str(item["status"]))
    return out


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess() as process:
        yield process


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client(timeout=120) as client:
        yield client


@pytest.fixture
def loaded(http: httpx.Client, tmp_path: Path) -> str:
    """An image in the server's store (``interop/app:1``, three layers); its ID."""
    archive = tmp_path / "image.tar"
    image_id = docker_archive(archive, "interop/app:1", (2_000, 700_000, 5_000))
    answer = http.post("/v1.50/images/load", content=archive.read_bytes())
    assert b"Loaded image: interop/app:1" in answer.content
    return image_id


def tag(http: httpx.Client, source: str, target: str) -> None:
    repo, _, name_tag = target.rpartition(":")
    answer = http.post(f"/v1.50/images/{source}/tag", params={"repo": repo, "tag": name_tag})
    assert answer.status_code == 201, answer.text


def test_push_pull_round_trip_with_events(
    http: httpx.Client, registry: RegistryProcess, repo_name: str, loaded: str
) -> None:
    target = f"{registry.host}/{repo_name}"
    tag(http, "interop/app:1", f"{target}:1")
    since = time.time()
    pushed = http.post(f"/v1.41/images/{target}/push", params={"tag": "1"}, headers=ANONYMOUS)
    assert pushed.status_code == 200
    stream = messages(pushed)
    assert stream[0] == {"status": f"The push refers to repository [{target}]"}
    aux = stream[-1]
    assert list(aux) == ["progressDetail", "aux"]
    assert list(aux["aux"]) == ["Tag", "Digest", "Size"]
    digest = aux["aux"]["Digest"]
    assert stream[-2] == {"status": f"1: digest: {digest} size: {aux['aux']['Size']}"}
    assert sum(line.endswith(": Preparing") for line in lines(pushed)) == 3
    assert sum(line.endswith(": Pushed") for line in lines(pushed)) == 3
    bars = [m for m in stream if m.get("status") == "Pushing"]
    assert bars
    assert all(str(m["progress"]).startswith("[") for m in bars)
    # everything again: the registry has the layers; a name without tag pushes every tag
    again = http.post(f"/v1.41/images/{target}/push", headers=ANONYMOUS)
    assert sum(line.endswith(": Layer already exists") for line in lines(again)) == 3
    # pull it back under a new store name
    assert http.delete(f"/v1.50/images/{target}:1").status_code == 200
    pulled = http.post("/v1.50/images/create", params={"fromImage": target, "tag": "1"},
                       headers=ANONYMOUS)  # fmt: skip
    got = lines(pulled)
    assert got[0] == f"1: Pulling from {repo_name}"
    assert got[-2:] == [f"Digest: {digest}", f"Status: Downloaded newer image for {target}:1"]
    inspect = http.get(f"/v1.50/images/{target}:1/json").json()
    assert inspect["Id"] == loaded
    assert inspect["RepoDigests"] == [f"{target}@{digest}"]
    # by digest: the id of "Pulling from" is the whole reference, as dockerd's
    by_digest = http.post("/v1.50/images/create", params={"fromImage": target, "tag": digest})
    assert lines(by_digest) == [
        f"{target}@{digest}: Pulling from {repo_name}",
        f"Digest: {digest}",
        f"Status: Image is up to date for {target}@{digest}",
    ]
    until = time.time() + 1
    events = http.get("/v1.50/events", params={"since": f"{since:.3f}", "until": f"{until:.3f}",
                                               "filters": '{"event":["pull","push"]}'})  # fmt: skip
    found = [json.loads(line) for line in events.text.splitlines()]
    assert [(e["Action"], e["id"]) for e in found] == [
        ("push", f"{target}:1"), ("push", target), ("pull", f"{target}:1"),
        ("pull", f"{target}@{digest}"),
    ]  # fmt: skip
    assert found[0]["Actor"] == {"ID": f"{target}:1", "Attributes": {"name": target}}
    assert found[0]["Type"] == "image"
    assert found[0]["status"] == "push"


def test_errors_before_and_inside_the_stream(
    http: httpx.Client, registry: RegistryProcess, basic_registry: RegistryProcess,
    repo_name: str, loaded: str,
) -> None:  # fmt: skip
    target = f"{registry.host}/{repo_name}"
    missing = http.post("/v1.50/images/create", params={"fromImage": target, "tag": "absent"})
    assert missing.status_code == 404
    assert missing.json() == {"message": f"manifest for {target}:absent not found: "
                              "manifest unknown: manifest unknown"}  # fmt: skip
    refused = http.post("/v1.50/images/create", params={"fromImage": "127.0.0.1:1/nope",
                                                        "tag": "1"})  # fmt: skip
    assert (refused.status_code, refused.json()) == (
        500,
        {
            "message": (
                'Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused'
            )
        },
    )
    bad_tag = http.post("/v1.50/images/create", params={"fromImage": target, "tag": "a:b"})
    assert (bad_tag.status_code, bad_tag.json()) == (400, {"message": "invalid tag format"})
    basic = f"{basic_registry.host}/{repo_name}"
    no_creds = http.post("/v1.50/images/create", params={"fromImage": basic, "tag": "1"})
    assert no_creds.status_code == 500
    assert no_creds.json()["message"] == (
        f'Head "http://{basic_registry.host}/v2/{repo_name}/manifests/1": no basic auth credentials'
    )
    # push: "The push refers to …" comes first, so errors are inside the stream
    absent = http.post(f"/v1.50/images/{target}-none/push", params={"tag": "1"},
                       headers=ANONYMOUS)  # fmt: skip
    text = f"An image does not exist locally with the tag: {target}-none"
    assert absent.status_code == 200
    assert messages(absent) == [
        {"status": f"The push refers to repository [{target}-none]"},
        {"errorDetail": {"message": text}, "error": text},
    ]
    tag(http, "interop/app:1", f"{basic}:1")
    refused_push = http.post(f"/v1.50/images/{basic}/push", params={"tag": "1"},
                             headers=ANONYMOUS)  # fmt: skip
    assert messages(refused_push)[-1]["error"] == "no basic auth credentials"
    creds = auth_header({"username": USER, "password": PASSWORD,
                         "serveraddress": basic_registry.host})  # fmt: skip
    ok = http.post(f"/v1.50/images/{basic}/push", params={"tag": "1"}, headers=creds)
    assert "aux" in messages(ok)[-1]
    # the old form: the auth config as the body; nothing at all is refused as dockerd 28
    old = http.post(f"/v1.50/images/{basic}/push", params={"tag": "1"},
                    content=json.dumps({"username": USER, "password": PASSWORD}))  # fmt: skip
    assert "aux" in messages(old)[-1]
    nothing = http.post(f"/v1.50/images/{basic}/push", params={"tag": "1"})
    assert nothing.status_code == 400


def test_auth(http: httpx.Client, basic_registry: RegistryProcess,
              token_registry: TokenSetup) -> None:  # fmt: skip
    host = basic_registry.host
    good = http.post("/v1.50/auth", json={"username": USER, "password": PASSWORD,
                                          "serveraddress": host})  # fmt: skip
    assert (good.status_code, good.text) == (
        200,
        '{"IdentityToken":"","Status":"Login Succeeded"}\n',
    )
    bad = http.post("/v1.50/auth", json={"username": USER, "password": "x", "serveraddress": host})
    assert (bad.status_code, bad.json()) == (
        500,
        {"message": (f"login attempt to http://{host}/v2/ failed with status: 401 Unauthorized")},
    )
    token_host = token_registry.registry.host
    token_ok = http.post("/v1.50/auth", json={"username": USER, "password": PASSWORD,
                                              "serveraddress": token_host})  # fmt: skip
    assert token_ok.status_code == 200
    token_bad = http.post("/v1.50/auth", json={"username": USER, "password": "x",
                                               "serveraddress": token_host})  # fmt: skip
    assert token_bad.status_code == 401
    empty = http.post("/v1.50/auth", content=b"")
    assert (empty.status_code, empty.json()) == (500, {"message": "EOF"})


def test_distribution(
    http: httpx.Client, registry: RegistryProcess, repo_name: str, loaded: str
) -> None:
    target = f"{registry.host}/{repo_name}"
    tag(http, "interop/app:1", f"{target}:1")
    pushed = messages(http.post(f"/v1.50/images/{target}/push", params={"tag": "1"},
                                headers=ANONYMOUS))  # fmt: skip
    aux = pushed[-1]["aux"]
    answer = http.get(f"/v1.50/distribution/{target}:1/json")
    assert answer.status_code == 200
    assert answer.text == json.dumps({
        "Descriptor": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "digest": aux["Digest"], "size": aux["Size"]},
        "Platforms": [{"architecture": "amd64", "os": "linux"}],
    }, separators=(",", ":")) + "\n"  # fmt: skip
    by_digest = http.get(f"/v1.50/distribution/{target}@{aux['Digest']}/json")
    assert by_digest.json() == answer.json()
    missing = http.get(f"/v1.50/distribution/{target}:absent/json")
    assert (missing.status_code, missing.json()) == (
        404,
        {"message": ("manifest unknown: manifest unknown")},
    )
    image_id = http.get(f"/v1.50/distribution/sha256:{'a' * 64}/json")
    assert (image_id.status_code, image_id.json()) == (
        500,
        {"message": ("no manifest found for full image ID")},
    )


def test_message_encoding() -> None:
    from dockyard.server.messages import encode

    assert encode(Message("Downloading", "abc", 3678, 300297)) == (
        b'{"status":"Downloading","progressDetail":{"current":3678,"total":300297},'
        b'"progress":"[\\u003e' + b" " * 50 + b']  3.678kB/300.3kB",'
        b'"id":"abc"}\r\n')  # fmt: skip
    assert encode(Message("Pushed", "abc", update=True)) == (
        b'{"status":"Pushed","progressDetail":{},"id":"abc"}\r\n'
    )
    assert encode(Message("", aux={"Tag": "1", "Digest": "sha256:x", "Size": 3})) == (
        b'{"progressDetail":{},"aux":{"Tag":"1","Digest":"sha256:x","Size":3}}\r\n'
    )


def test_auth_header_decoding() -> None:
    from dockyard.server.regauth import decode_auth_header

    assert decode_auth_header("e30=") == {}
    assert decode_auth_header("not base64!") == {}
    encoded = base64.urlsafe_b64encode(b'{"Username":"u","password":"p?>"}').decode()
    assert decode_auth_header(encoded.rstrip("=")) == {"username": "u", "password": "p?>"}
    legacy = base64.b64encode(json.dumps({"auth": base64.b64encode(b"u:p:q").decode()}).encode())
    assert decode_auth_header(legacy.decode())["password"] == "p:q"
