"""Real clients pull, push and log in through ``dockyard serve`` and through dockerd 20.10.

The same steps run with each client against the session's private dockerd and against a
fresh ``dockyard serve``, both talking to the same loopback registries: the docker CLIs
(28.2 and Debian's 20.10) print the same lines (as multisets: completion order depends on
the network, and dockerd may skip the transient ``Waiting``/``Verifying Checksum``), the
same errors, and end with the same image IDs and RepoDigests; docker-py and
python-on-whales get the same results.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from dockyard.digest import sha256_bytes
from tests.compat.dockerd import PrivateDockerd
from tests.registry.conftest import PASSWORD, USER
from tests.registry.images import docker_archive, make_image, push_image
from tests.registry.servers import RegistryProcess
from tests.registry.test_docker_interop import TRANSIENT, same_lines
from tests.server.helpers import ServerProcess

pytestmark = pytest.mark.compat

SIZES = (2_000, 3_000_000, 40_000, 5_000, 70_000)  # five layers: two of them wait
DEBIAN_CLI = "/usr/bin/docker"


def _cli(path: str | None) -> str:
    if path is None or not os.access(path, os.X_OK):
        pytest.skip(f"docker client {path} is not installed")
    return path


def run(docker: str, env: Mapping[str, str], *args: str,
        stdin: str | None = None) -> tuple[int, list[str], str]:  # fmt: skip
    proc = subprocess.run([docker, *args], capture_output=True, text=True, env=dict(env),
                          input=stdin, timeout=300, check=False)  # fmt: skip
    last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    return proc.returncode, proc.stdout.splitlines(), last


def _cli_steps(docker: str, env: Mapping[str, str], archive: Path, open_host: str,
               basic_host: str, repo: str, who: str) -> dict[str, Any]:  # fmt: skip
    """Load, push, pull, login and refusals; what the CLI printed, and the results."""
    out: dict[str, Any] = {}
    run(docker, env, "load", "-i", str(archive))
    own = f"{open_host}/{repo}-{who}:1"
    run(docker, env, "tag", "interop/app:1", own)
    out["push"] = run(docker, env, "push", own)
    out["push again"] = run(docker, env, "push", own)
    out["push absent"] = run(docker, env, "push", f"{open_host}/{repo}-none:1")
    shared = f"{open_host}/{repo}-ref:1"
    out["pull"] = run(docker, env, "pull", shared)
    out["pull again"] = run(docker, env, "pull", shared)
    out["pull missing"] = run(docker, env, "pull", f"{open_host}/{repo}-ref:absent")
    out["pull -q"] = run(docker, env, "pull", "-q", shared)
    fmt = "{{.Id}} {{json .RepoDigests}} {{json .RepoTags}}"
    out["inspect"] = run(docker, env, "image", "inspect", "--format", fmt, shared)
    basic = f"{basic_host}/{repo}-{who}:1"
    run(docker, env, "tag", "interop/app:1", basic)
    out["push refused"] = run(docker, env, "push", basic)
    out["login wrong"] = run(docker, env, "login", "-u", USER, "--password-stdin", basic_host,
                             stdin="wrong")  # fmt: skip
    out["login"] = run(docker, env, "login", "-u", USER, "--password-stdin", basic_host,
                       stdin=PASSWORD)[:2]  # fmt: skip
    code, lines, _ = run(docker, env, "push", basic)
    out["push with login"] = (code, lines[0], sum(line.endswith(": Pushed") for line in lines))
    return out


def _compare_cli(
    docker: str,
    dockerd: PrivateDockerd,
    registry: RegistryProcess,
    basic_registry: RegistryProcess,
    repo: str,
    tmp_path: Path,
) -> None:
    archive = tmp_path / "image.tar"
    docker_archive(archive, "interop/app:1", SIZES)
    image = make_image((3_000, 2_500_000, 60_000, 7_000))
    with registry_client() as client:
        push_image(client.repository(f"{registry.host}/{repo}-ref"), image, "1")
    dockerd.reset()
    hosts = (registry.host, basic_registry.host, repo)
    env = {**dockerd.env, "DOCKER_CONFIG": str(tmp_path / "config-d")}  # logins stay here
    theirs = _cli_steps(docker, env, archive, *hosts, "d")
    with ServerProcess() as server:
        ours = _cli_steps(docker, server.env, archive, *hosts, "y")
    for step in theirs:
        want, got = theirs[step], ours[step]
        if step.startswith("push") and step != "push with login":
            want = (want[0], [_as_ours(line, repo) for line in want[1]], _as_ours(want[2], repo))
            got = (got[0], [_digestless(line) for line in got[1]], got[2])
            want = (want[0], [_digestless(line) for line in want[1]], want[2])
        if step == "push with login":
            want = (want[0], _as_ours(want[1], repo), want[2])
        if step in ("push", "push again", "pull", "pull again"):
            assert got[0] == want[0] == 0, (step, got, want)
            same_lines(got[1], want[1])
        elif step in ("push absent", "push refused"):
            assert (got[0], got[2]) == (want[0], want[2]), step
            assert _lasting(got[1]) == _lasting(want[1]), step
        else:
            assert got == want, step
    assert ours["inspect"][1][0].startswith(str(sha256_bytes(image.config)))


def _lasting(lines: list[str]) -> list[str]:
    return sorted(line for line in lines if not line.endswith(TRANSIENT))


def _as_ours(line: str, repo: str) -> str:
    return line.replace(f"{repo}-d", f"{repo}-y")


def _digestless(line: str) -> str:
    """Push digests differ (each compresses its layers), their sizes do not."""
    head, sep, _rest = line.partition(": digest: sha256:")
    return f"{head}{sep}<digest> size: {line.rsplit(' ', 1)[-1]}" if sep else line


def registry_client() -> Any:
    from dockyard.registry import RegistryClient

    return RegistryClient(timeout=30.0)


def test_cli_28(
    dockerd: PrivateDockerd,
    registry: RegistryProcess,
    basic_registry: RegistryProcess,
    repo_name: str,
    tmp_path: Path,
) -> None:
    _compare_cli(_cli(shutil.which("docker")), dockerd, registry, basic_registry, repo_name,
                 tmp_path)  # fmt: skip


def test_cli_20_10(
    dockerd: PrivateDockerd,
    registry: RegistryProcess,
    basic_registry: RegistryProcess,
    repo_name: str,
    tmp_path: Path,
) -> None:
    _compare_cli(_cli(DEBIAN_CLI), dockerd, registry, basic_registry, repo_name, tmp_path)


# --- docker-py and python-on-whales ---------------------------------------------------------


def _docker_py_steps(base_url: str, archive: Path, open_host: str, basic_host: str,
                     repo: str, who: str) -> list[Any]:  # fmt: skip
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url=base_url, version="1.41")
    out: list[Any] = []
    try:
        client.images.load(archive.read_bytes())
        own = f"{open_host}/{repo}-{who}"
        client.images.get("interop/app:1").tag(own, "1")
        stream = list(client.images.push(own, tag="1", stream=True, decode=True))
        out.append(sorted(
            (m.get("id", ""), m["status"].replace(own, "<own>")) for m in stream
            if "status" in m and not m.get("progressDetail")
            and m["status"] not in ("Waiting",) and "digest:" not in m["status"]
        ))  # fmt: skip
        out.append(sorted(stream[-1]["aux"]))
        shared = f"{open_host}/{repo}-ref"
        pulled = client.images.pull(shared, tag="1")
        out.append((pulled.id, pulled.attrs["RepoDigests"], pulled.tags))
        with pytest.raises(docker.errors.NotFound) as missing:
            client.images.pull(shared, tag="absent")
        out.append(missing.value.explanation)
        out.append(client.images.get_registry_data(f"{shared}:1").attrs)
        with pytest.raises(docker.errors.APIError) as refused:
            client.login(USER, "wrong", registry=basic_host)
        out.append((refused.value.status_code, refused.value.explanation))
        out.append(client.login(USER, PASSWORD, registry=basic_host, reauth=True))
        client.images.get("interop/app:1").tag(f"{basic_host}/{repo}-{who}", "1")
        pushed = client.images.push(f"{basic_host}/{repo}-{who}", tag="1")
        out.append("errorDetail" not in pushed and '"aux"' in pushed)
    finally:
        client.close()
    return out


def _whales_steps(host: str, open_host: str, repo: str, who: str) -> list[Any]:
    whales = pytest.importorskip("python_on_whales")
    client = whales.DockerClient(host=host)
    shared = f"{open_host}/{repo}-ref:1"
    image = client.image.pull(shared, quiet=True)
    out: list[Any] = [image.id, image.repo_digests]
    client.image.tag(shared, f"{open_host}/{repo}-{who}:2")
    client.image.push(f"{open_host}/{repo}-{who}:2", quiet=True)
    client.image.remove([shared, f"{open_host}/{repo}-{who}:2"])
    again = client.image.pull(f"{open_host}/{repo}-{who}:2", quiet=True)
    out.append(again.id)
    return out


def test_python_clients(
    dockerd: PrivateDockerd,
    registry: RegistryProcess,
    basic_registry: RegistryProcess,
    repo_name: str,
    tmp_path: Path,
) -> None:
    archive = tmp_path / "image.tar"
    docker_archive(archive, "interop/app:1", SIZES)
    with registry_client() as client:
        push_image(client.repository(f"{registry.host}/{repo_name}-ref"),
                   make_image((3_000, 900_000)), "1")  # fmt: skip
    dockerd.reset()
    hosts = (registry.host, basic_registry.host, repo_name)
    want = _docker_py_steps(dockerd.host, archive, *hosts, "d")
    want_whales = _whales_steps(dockerd.host, registry.host, repo_name, "d")
    with ServerProcess() as server:
        got = _docker_py_steps(server.host, archive, *hosts, "y")
        got_whales = _whales_steps(server.host, registry.host, repo_name, "y")
    for index, (ours, theirs) in enumerate(zip(got, want, strict=True)):
        assert ours == theirs, f"step {index}"
    assert got_whales == want_whales
