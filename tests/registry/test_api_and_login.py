"""``client.images.pull/push`` and ``client.login`` (docker-py's shapes), and the login,
pull and push commands against registries with Basic and Bearer authentication."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import dockyard
from dockyard.api import Image
from dockyard.registries import RegistrySettings
from dockyard.registry import AuthenticationError, Unauthorized
from dockyard.service.push import ImageNotLocal
from tests.registry.conftest import PASSWORD, USER, TokenSetup
from tests.registry.images import docker_archive
from tests.registry.servers import RegistryProcess

SIZES = (1_000, 20_000)
#: Docker's words for a push without credentials.
REFUSAL = {"basic": "no basic auth credentials",
           "token": "denied: requested access to the resource is denied"}  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> tuple[dockyard.Client, str]:
    """A store holding one image tagged ``api/app:1``, and its ID; no credentials."""
    (tmp_path / "docker-config").mkdir()
    client = dockyard.open(
        tmp_path / "store", registries=RegistrySettings(config_dir=tmp_path / "docker-config")
    )
    image_id = docker_archive(tmp_path / "image.tar", "api/app:1", SIZES)
    client.images.load(tmp_path / "image.tar")
    return client, image_id


def test_push_and_pull_shaped_like_docker_py(
    store: tuple[dockyard.Client, str], registry: RegistryProcess, repo_name: str, tmp_path: Path
) -> None:
    client, image_id = store
    name = f"{registry.host}/{repo_name}"
    client.images.get("api/app:1").tag(name, "1")
    client.images.get("api/app:1").tag(name, "2")
    out = client.images.push(name, "1")
    assert isinstance(out, str)
    messages = [json.loads(line) for line in out.split("\r\n") if line]
    assert messages[0] == {"status": f"The push refers to repository [{name}]"}
    assert {"status": "Pushed", "progressDetail": {}, "id": messages[1]["id"]} in messages
    aux = messages[-1]["aux"]
    assert messages[-1] == {"progressDetail": {}, "aux": aux}
    assert aux["Tag"] == "1"
    assert messages[-2] == {"status": f"1: digest: {aux['Digest']} size: {aux['Size']}"}

    # Without a tag, every tag of the repository; streamed and decoded.
    decoded: list[Any] = list(client.images.push(name, stream=True, decode=True))
    assert [m["aux"]["Tag"] for m in decoded if "aux" in m] == ["1", "2"]
    raw = list(client.images.push(f"{name}:2", stream=True))
    assert all(isinstance(chunk, bytes) and chunk.endswith(b"\r\n") for chunk in raw)

    fresh = dockyard.open(
        tmp_path / "fresh", registries=RegistrySettings(config_dir=tmp_path / "docker-config")
    )
    seen: list[dict[str, object]] = []
    pulled = fresh.images.pull(name, "1", messages=lambda m: seen.append(m.to_json()))
    assert isinstance(pulled, Image)
    assert pulled.id == image_id
    assert pulled.attrs["RepoDigests"] == [f"{name}@{aux['Digest']}"]
    assert seen[0] == {"status": f"Pulling from {repo_name}", "id": "1"}
    assert {"status": "Pull complete", "progressDetail": {}, "id": seen[1]["id"]} in seen
    assert seen[-1] == {"status": f"Status: Downloaded newer image for {name}:1"}
    every = fresh.images.pull(name, all_tags=True)
    assert isinstance(every, list)
    assert sorted(every[0].tags) == [f"{name}:1", f"{name}:2"]
    assert fresh.images.pull(f"{name}@{aux['Digest']}").id == image_id  # type: ignore[union-attr]


def test_push_of_an_absent_tag_raises(
    store: tuple[dockyard.Client, str], registry: RegistryProcess, repo_name: str
) -> None:
    client, _ = store
    with pytest.raises(ImageNotLocal):
        client.images.push(f"{registry.host}/{repo_name}", "nope")
    with pytest.raises(ImageNotLocal):
        list(client.images.push(f"{registry.host}/{repo_name}", "nope", stream=True))


@pytest.mark.parametrize("kind", ["basic", "token"])
def test_login_then_pull_and_push_with_credentials(
    kind: str,
    store: tuple[dockyard.Client, str],
    basic_registry: RegistryProcess,
    token_registry: TokenSetup,
    repo_name: str,
) -> None:
    client, image_id = store
    host = basic_registry.host if kind == "basic" else token_registry.registry.host
    name = f"{host}/{repo_name}"
    client.images.get("api/app:1").tag(name, "1")
    with pytest.raises(AuthenticationError, match=f"^{REFUSAL[kind]}$"):
        client.images.push(name, "1")
    with pytest.raises(Unauthorized):
        client.login(USER, "wrong", registry=host)
    assert client.login(USER, PASSWORD, registry=host) == {
        "IdentityToken": "", "Status": "Login Succeeded"}  # fmt: skip
    client.images.push(name, "1")
    assert client.images.pull(name, "1").id == image_id  # type: ignore[union-attr]
    # auth_config alone, on a client that never logged in
    other = dockyard.open(client.root, registries=client.registries.settings)
    auth = {"username": USER, "password": PASSWORD}
    assert other.images.pull(name, "1", auth_config=auth).id == image_id  # type: ignore[union-attr]


def dockyard_cli(home: Path, *args: str, stdin: str | None = None
                 ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "DOCKER_CONFIG": str(home / "docker-config"),
        "DOCKYARD_ROOT": str(home / "store"),
    }
    return subprocess.run([sys.executable, "-m", "dockyard", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=120,
                          check=False)  # fmt: skip


@pytest.mark.parametrize("kind", ["basic", "token"])
def test_login_command_files_credentials_as_docker_does(
    kind: str,
    basic_registry: RegistryProcess,
    token_registry: TokenSetup,
    repo_name: str,
    tmp_path: Path,
) -> None:
    host = basic_registry.host if kind == "basic" else token_registry.registry.host
    archive = tmp_path / "image.tar"
    image_id = docker_archive(archive, "cli/app:1", SIZES)
    assert dockyard_cli(tmp_path, "load", "-q", "-i", str(archive)).returncode == 0
    name = f"{host}/{repo_name}:1"
    assert dockyard_cli(tmp_path, "tag", "cli/app:1", name).returncode == 0

    denied = dockyard_cli(tmp_path, "push", name)
    assert denied.returncode != 0
    assert denied.stderr.strip().splitlines()[-1] == f"Error: {REFUSAL[kind]}"

    wrong = dockyard_cli(tmp_path, "login", "-u", USER, "--password-stdin", host, stdin="no\n")
    assert wrong.returncode != 0
    assert not (tmp_path / "docker-config" / "config.json").exists()

    ok = dockyard_cli(tmp_path, "login", "-u", USER, "--password-stdin", host,
                      stdin=PASSWORD + "\n")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip().splitlines()[-1] == "Login Succeeded"
    config = json.loads((tmp_path / "docker-config" / "config.json").read_text())
    assert set(config["auths"]) == {host}
    assert "auth" in config["auths"][host]
    assert (tmp_path / "docker-config" / "config.json").stat().st_mode & 0o077 == 0

    pushed = dockyard_cli(tmp_path, "push", name)
    assert pushed.returncode == 0, pushed.stderr
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "docker-config").symlink_to(tmp_path / "docker-config")
    pulled = dockyard_cli(fresh, "pull", "-q", name)
    assert pulled.returncode == 0, pulled.stderr
    shown = dockyard_cli(fresh, "image", "inspect", "--format", "{{.Id}}", name)
    assert shown.stdout.strip() == image_id

    out = dockyard_cli(tmp_path, "logout", host)
    assert out.stdout.strip() == f"Removing login credentials for {host}"
    assert dockyard_cli(tmp_path, "logout", host).stdout.strip() == f"Not logged in to {host}"
    assert host not in json.loads((tmp_path / "docker-config" / "config.json").read_text())[
        "auths"]  # fmt: skip
