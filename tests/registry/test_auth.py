"""Basic and Bearer authentication against real registries, and Docker config credentials."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dockyard.digest import sha256_bytes
from dockyard.registry import (
    AuthenticationError,
    Credentials,
    Denied,
    DockerConfig,
    StaticCredentials,
    Unauthorized,
)
from tests.registry.conftest import PASSWORD, USER
from tests.registry.images import make_image, push_image


def test_basic_auth(make_client, basic_registry, repo_name):
    anonymous = make_client().repository(f"{basic_registry.host}/{repo_name}")
    with pytest.raises(Unauthorized) as refused:
        anonymous.get_manifest("1")
    # Docker's words: nothing is sent once the registry asked for Basic credentials
    assert str(refused.value) == "no basic auth credentials"
    assert refused.value.status == 401

    good = StaticCredentials({basic_registry.host: Credentials(USER, PASSWORD)})
    repo = make_client(credentials=good).repository(f"{basic_registry.host}/{repo_name}")
    image = make_image((100,))
    digest = push_image(repo, image, "1")
    assert repo.get_manifest("1").digest == digest

    bad = StaticCredentials({basic_registry.host: Credentials(USER, "wrong")})
    with pytest.raises(Unauthorized):
        make_client(credentials=bad).repository(f"{basic_registry.host}/{repo_name}").list_tags()


def test_bearer_push_pull_caches_tokens(make_client, token_setup, repo_name):
    host = token_setup.registry.host
    creds = StaticCredentials({host: Credentials(USER, PASSWORD)})
    client = make_client(credentials=creds)
    repo = client.repository(f"{host}/{repo_name}")
    image = make_image((100, 200, 300))
    digest = push_image(repo, image, "1")  # 4 blobs (HEAD-less uploads) + 1 manifest
    pushes = list(token_setup.tokens.requests)
    assert len(pushes) == 1  # one token for every request of the push
    (query,) = [r["query"] for r in pushes]
    assert query["scope"] == [f"repository:{repo_name}:pull,push"]
    assert query["service"] == ["dockyard-test-registry"]
    assert query["account"] == [USER]
    assert pushes[0]["authorization"].startswith("Basic ")

    assert repo.get_manifest("1").digest == digest
    assert repo.read_blob(sha256_bytes(image.config)) == image.config
    assert len(token_setup.tokens.requests) == 2  # one more, for the pull scope


def test_bearer_anonymous_pull_but_no_push(make_client, token_setup, repo_name):
    host = token_setup.registry.host
    owner = make_client(credentials=StaticCredentials({host: Credentials(USER, PASSWORD)}))
    push_image(owner.repository(f"{host}/{repo_name}"), make_image((10,)), "1")
    token_setup.tokens.requests.clear()

    anonymous = make_client().repository(f"{host}/{repo_name}")
    assert anonymous.list_tags() == ["1"]
    assert all(r["authorization"] == "" for r in token_setup.tokens.requests)
    # 401 with error="insufficient_scope": Docker's DENIED, the body's entry kept after it
    with pytest.raises(Denied, match=r"^denied: requested access to the resource is denied$") as e:
        anonymous.upload_blob(io.BytesIO(b"x"), digest=sha256_bytes(b"x"), size=1)
    assert e.value.status == 401
    assert [entry.code for entry in e.value.errors] == ["DENIED", "UNAUTHORIZED"]


def test_bearer_mount_asks_for_both_scopes(make_client, token_setup, repo_name):
    host = token_setup.registry.host
    client = make_client(credentials=StaticCredentials({host: Credentials(USER, PASSWORD)}))
    source = client.repository(f"{host}/{repo_name}-a")
    target = client.repository(f"{host}/{repo_name}-b")
    data = os.urandom(1000)
    source.upload_blob(io.BytesIO(data), digest=sha256_bytes(data), size=len(data))
    token_setup.tokens.requests.clear()
    pushed = target.upload_blob(
        io.BytesIO(data), digest=sha256_bytes(data), size=len(data), mount_from=[source.name]
    )
    assert pushed.mounted_from == source.name
    (request,) = token_setup.tokens.requests
    assert sorted(request["query"]["scope"]) == [
        f"repository:{source.name}:pull",
        f"repository:{target.name}:pull,push",
    ]


def test_bearer_wrong_password(make_client, token_setup, repo_name):
    host = token_setup.registry.host
    bad = StaticCredentials({host: Credentials(USER, "nope")})
    with pytest.raises(Unauthorized, match="unable to retrieve auth token: invalid username"):
        make_client(credentials=bad).repository(f"{host}/{repo_name}").get_manifest("1")


def test_identity_token_uses_oauth_refresh_grant(make_client, token_setup, repo_name, work_dir):
    host = token_setup.registry.host
    token_setup.tokens.refresh_tokens["refresh-me"] = USER
    (work_dir / "config.json").write_text(
        json.dumps({"auths": {host: {"identitytoken": "refresh-me"}}})
    )
    client = make_client(credentials=DockerConfig(work_dir))
    repo = client.repository(f"{host}/{repo_name}")
    push_image(repo, make_image((10,)), "1")
    assert {r["method"] for r in token_setup.tokens.requests} == {"POST"}
    form = token_setup.tokens.requests[0]["query"]
    assert form["grant_type"] == ["refresh_token"]
    assert form["client_id"] == ["dockyard"]


def _fake_helper(bin_dir: Path, store_file: Path) -> None:
    """A docker-credential-fake that keeps credentials in a JSON file."""
    script = bin_dir / "docker-credential-fake"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"path = {str(store_file)!r}\n"
        "try:\n    db = json.load(open(path))\nexcept FileNotFoundError:\n    db = {}\n"
        "action = sys.argv[1]\n"
        "data = sys.stdin.read()\n"
        "if action == 'get':\n"
        "    if data not in db:\n"
        "        print('credentials not found in native keychain'); sys.exit(1)\n"
        "    user, secret = db[data]\n"
        "    print(json.dumps({'ServerURL': data, 'Username': user, 'Secret': secret}))\n"
        "elif action == 'store':\n"
        "    doc = json.loads(data); db[doc['ServerURL']] = [doc['Username'], doc['Secret']]\n"
        "elif action == 'erase':\n"
        "    db.pop(data, None)\n"
        "json.dump(db, open(path, 'w'))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_credential_helper_login_pull_logout(make_client, basic_registry, repo_name, work_dir):
    bin_dir = work_dir / "bin"
    bin_dir.mkdir()
    _fake_helper(bin_dir, work_dir / "db.json")
    config_dir = work_dir / "docker"
    config_dir.mkdir()
    (config_dir / "config.json").write_text(json.dumps({"credsStore": "fake", "other": 1}))
    config = DockerConfig(config_dir, helper_env={"PATH": str(bin_dir)})
    host = basic_registry.host
    assert config.get(host) is None

    config.store(host, Credentials(USER, PASSWORD))  # docker login
    saved = json.loads((config_dir / "config.json").read_text())
    assert saved == {"credsStore": "fake", "other": 1, "auths": {host: {}}}
    assert config.get(host) == Credentials(USER, PASSWORD)

    repo = make_client(credentials=config).repository(f"{host}/{repo_name}")
    push_image(repo, make_image((10,)), "1")
    assert repo.list_tags() == ["1"]

    config.erase(host)  # docker logout
    assert config.get(host) is None
    assert json.loads((config_dir / "config.json").read_text())["auths"] == {}


def test_missing_helper_is_an_authentication_error(work_dir):
    (work_dir / "config.json").write_text(json.dumps({"credHelpers": {"h:1": "absent"}}))
    config = DockerConfig(work_dir, helper_env={"PATH": str(work_dir)})
    with pytest.raises(AuthenticationError, match="docker-credential-absent"):
        config.get("h:1")


def test_parallel_transfers_share_one_token(make_client, token_setup, repo_name):
    host = token_setup.registry.host
    client = make_client(credentials=StaticCredentials({host: Credentials(USER, PASSWORD)}))
    repo = client.repository(f"{host}/{repo_name}")
    blobs = [os.urandom(20_000 + i) for i in range(12)]

    def push(data: bytes) -> None:
        repo.upload_blob(io.BytesIO(data), digest=sha256_bytes(data), size=len(data))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(push, blobs))
        fetched = list(pool.map(lambda d: repo.read_blob(sha256_bytes(d)), blobs))
    assert fetched == blobs
    scopes = [r["query"]["scope"] for r in token_setup.tokens.requests]
    assert scopes == [[f"repository:{repo_name}:pull,push"], [f"repository:{repo_name}:pull"]]
