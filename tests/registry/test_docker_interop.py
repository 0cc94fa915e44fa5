"""dockyard and real Docker through one real registry: each pulls what the other pushed.

The same image (written as a ``docker save`` archive) is loaded into a private dockerd and
into a store; each pushes it and pulls the other's push. Image IDs and RepoDigests must
agree, and dockyard's status lines must be the lines the docker CLI prints (stdout not a
terminal), as a multiset: the order of completion lines depends on the network, and
dockerd may skip a transient state.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.compat.dockerd import PrivateDockerd
from tests.registry.conftest import PASSWORD, USER, TokenSetup
from tests.registry.images import docker_archive
from tests.registry.servers import RegistryProcess
from tests.registry.test_interop import skopeo

SIZES = (2_000, 3_000_000, 40_000, 5_000, 70_000)  # five layers: two of them wait


def dockyard_cli(
    root: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(root),
        "DOCKER_CONFIG": str(root / "docker-config"),
        "DOCKYARD_ROOT": str(root / "store"),
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        [sys.executable, "-m", "dockyard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def ok(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert proc.returncode == 0, f"{proc.args}: exit {proc.returncode}\n{proc.stderr}"
    return proc.stdout.splitlines()


#: Intermediate states dockerd may skip: its transfer broadcasts only the latest state of
#: a layer, so a watcher that reads late never sees them. dockyard prints every one.
TRANSIENT = (": Verifying Checksum", ": Waiting")


def same_lines(ours: list[str], docker: list[str]) -> None:
    assert ours[0] == docker[0]
    assert ours[-1] == docker[-1]

    def lasting(lines: list[str]) -> collections.Counter[str]:
        return collections.Counter(line for line in lines if not line.endswith(TRANSIENT))

    assert lasting(ours) == lasting(docker)
    assert not collections.Counter(docker) - collections.Counter(ours)


def message(stderr: str) -> str:
    """An error's words: dockyard has no daemon, so it says ``Error:`` where Docker says
    ``Error response from daemon:`` (and prints it also for errors inside a stream)."""
    text = stderr.strip().splitlines()[-1]
    for prefix in ("Error response from daemon: ", "Error: "):
        text = text.removeprefix(prefix)
    return text


@pytest.fixture
def image(tmp_path: Path) -> tuple[Path, str]:
    archive = tmp_path / "image.tar"
    return archive, docker_archive(archive, "interop/app:1", SIZES)


def test_docker_and_dockyard_push_and_pull_each_other(
    dockerd: PrivateDockerd,
    registry: RegistryProcess,
    repo_name: str,
    tmp_path: Path,
    image: tuple[Path, str],
) -> None:
    archive, image_id = image
    dockerd.reset()
    dockerd.load(archive)
    ok(dockyard_cli(tmp_path, "load", "-i", str(archive)))
    by_docker = f"{registry.host}/{repo_name}-docker:1"
    by_dockyard = f"{registry.host}/{repo_name}-dockyard:1"
    dockerd.run("tag", "interop/app:1", by_docker)
    ok(dockyard_cli(tmp_path, "tag", "interop/app:1", by_dockyard))

    docker_push = dockerd.run("push", by_docker).stdout.splitlines()
    our_push = ok(dockyard_cli(tmp_path, "push", by_dockyard))
    our_digest = our_push[-1].split("digest: ")[1].split()[0]
    docker_digest = docker_push[-1].split("digest: ")[1].split()[0]
    # The layers gzip differently, so the manifest digests differ (their sizes do not).
    same_lines(our_push, [line.replace(f"{repo_name}-docker", f"{repo_name}-dockyard")
                          .replace(docker_digest, our_digest) for line in docker_push])  # fmt: skip
    assert sum(line.endswith(": Pushed") for line in our_push) == len(SIZES)

    # Docker pulls what dockyard pushed, and dockyard what Docker pushed: one image ID.
    dockerd.reset()
    docker_pull = dockerd.run("pull", by_dockyard).stdout.splitlines()
    pulled = dockerd.inspect(by_dockyard)
    assert pulled["Id"] == image_id
    assert pulled["RepoDigests"] == [f"{registry.host}/{repo_name}-dockyard@{our_digest}"]

    fresh = tmp_path / "fresh"
    inspected = ok(dockyard_cli(fresh, "pull", "-q", by_docker))
    assert inspected == [by_docker]
    inspected = ok(dockyard_cli(fresh, "image", "inspect", "--format",
                                "{{.Id}} {{json .RepoDigests}} {{json .RepoTags}}",
                                by_docker))  # fmt: skip
    assert inspected == [f'{image_id} ["{registry.host}/{repo_name}-docker@{docker_digest}"]'
                         f' ["{by_docker}"]']  # fmt: skip

    # dockyard pulls the blobs Docker pulled, printing the lines Docker printed.
    other = tmp_path / "other"
    same_lines(ok(dockyard_cli(other, "pull", by_dockyard)), docker_pull)
    # Pulling again: nothing to download, Docker's "up to date" words.
    same_lines(ok(dockyard_cli(other, "pull", by_dockyard)),
               dockerd.run("pull", by_dockyard).stdout.splitlines())  # fmt: skip
    # A name without a tag, a new tag of an image held: "Using default tag" first, no
    # layer lines, and "Downloaded newer image" because the tag is new.
    untagged = by_dockyard.rpartition(":")[0]
    dockerd.run("tag", by_dockyard, f"{untagged}:latest")
    dockerd.run("push", f"{untagged}:latest")
    dockerd.run("rmi", f"{untagged}:latest")
    same_lines(ok(dockyard_cli(other, "pull", untagged)),
               dockerd.run("pull", untagged).stdout.splitlines())  # fmt: skip


def test_pull_of_a_missing_tag_fails_like_docker(
    dockerd: PrivateDockerd, registry: RegistryProcess, repo_name: str, tmp_path: Path
) -> None:
    name = f"{registry.host}/{repo_name}:absent"
    docker = dockerd.run("pull", name, check=False)
    ours = dockyard_cli(tmp_path, "pull", name)
    assert docker.returncode != 0
    assert ours.returncode == docker.returncode
    assert message(ours.stderr) == message(docker.stderr)
    assert ours.stdout == docker.stdout


def test_push_of_an_absent_image_fails_like_docker(
    dockerd: PrivateDockerd, registry: RegistryProcess, repo_name: str, tmp_path: Path
) -> None:
    for name in (f"{registry.host}/{repo_name}:absent", f"{registry.host}/{repo_name}"):
        docker = dockerd.run("push", name, check=False)
        ours = dockyard_cli(tmp_path, "push", name)
        assert docker.returncode != 0
        assert ours.returncode == docker.returncode
        assert message(ours.stderr) == message(docker.stderr)
        assert ours.stdout == docker.stdout


@pytest.mark.parametrize("kind", ["basic", "token"])
def test_refusals_word_like_docker(
    kind: str,
    dockerd: PrivateDockerd,
    basic_registry: RegistryProcess,
    token_registry: TokenSetup,
    repo_name: str,
    tmp_path: Path,
    image: tuple[Path, str],
) -> None:
    """No credentials, wrong credentials: the same words and the same output before them."""
    archive, _ = image
    dockerd.reset()
    dockerd.load(archive)
    ok(dockyard_cli(tmp_path, "load", "-q", "-i", str(archive)))
    host = basic_registry.host if kind == "basic" else token_registry.registry.host
    name = f"{host}/{repo_name}:1"
    dockerd.run("tag", "interop/app:1", name)
    ok(dockyard_cli(tmp_path, "tag", "interop/app:1", name))
    for args in (
        ("push", name),
        ("pull", name),
        ("pull", f"{host}/{repo_name}:absent"),
        ("login", "-u", USER, "-p", "wrong", host),
    ):
        docker = dockerd.run(*args, check=False)
        ours = dockyard_cli(tmp_path, *args)
        assert docker.returncode != 0
        assert ours.returncode == docker.returncode
        assert ours.stdout == docker.stdout, args
        assert message(ours.stderr) == message(docker.stderr), args
    # with the right credentials, both push
    dockerd.run("login", "-u", USER, "--password-stdin", host, input=PASSWORD)
    ok(dockyard_cli(tmp_path, "login", "-u", USER, "--password-stdin", host, stdin=PASSWORD))
    assert dockerd.run("push", name).returncode == 0
    ok(dockyard_cli(tmp_path, "push", name))


def test_skopeo_and_dockyard_read_each_others_pushes(
    dockerd: PrivateDockerd,
    registry: RegistryProcess,
    repo_name: str,
    tmp_path: Path,
    image: tuple[Path, str],
) -> None:
    """skopeo takes what dockyard pushed with the same image ID; dockyard pulls what skopeo
    pushed with the image ID and RepoDigests that ``docker pull`` gives."""
    archive, image_id = image
    by_skopeo = f"{registry.host}/{repo_name}-skopeo:1"
    skopeo(tmp_path, "copy", "--dest-tls-verify=false", f"docker-archive:{archive}",
           f"docker://{by_skopeo}")  # fmt: skip
    dockerd.reset()
    dockerd.run("pull", by_skopeo)
    docker_view = dockerd.inspect(by_skopeo)
    ok(dockyard_cli(tmp_path, "pull", "-q", by_skopeo))
    ours = ok(dockyard_cli(tmp_path, "image", "inspect", "--format",
                           "{{.Id}} {{json .RepoDigests}}", by_skopeo))  # fmt: skip
    assert docker_view["Id"] == image_id
    assert ours == [f"{image_id} {json.dumps(docker_view['RepoDigests'], separators=(',', ':'))}"]

    by_dockyard = f"{registry.host}/{repo_name}-dockyard:1"
    ok(dockyard_cli(tmp_path, "tag", by_skopeo, by_dockyard))
    ok(dockyard_cli(tmp_path, "push", "-q", by_dockyard))
    config = skopeo(tmp_path, "inspect", "--raw", "--config", "--tls-verify=false",
                    f"docker://{by_dockyard}")  # fmt: skip
    assert f"sha256:{hashlib.sha256(config.encode()).hexdigest()}" == image_id
    skopeo(tmp_path, "copy", "--src-tls-verify=false", f"docker://{by_dockyard}",
           f"docker-archive:{tmp_path / 'back.tar'}:back/app:1")  # fmt: skip
    dockerd.reset()
    assert "back/app:1" in dockerd.load(tmp_path / "back.tar")
    assert dockerd.inspect("back/app:1")["Id"] == image_id
