"""The docker CLIs against ``dockyard serve`` and against a private dockerd 20.10: same output.

Each test runs the same image commands (:data:`tests.server.compare.CLI_STEPS`) with one
client against a fresh dockerd and a fresh dockyard store and compares exit codes, stdout
and stderr (relative times, column padding, ``GraphDriver`` and ``LastTagTime`` aside).
The Docker CLI 28.2 negotiates API 1.41 with dockerd 20.10 and 1.50 with dockyard; it is
compared both pinned to 1.41 (``DOCKER_API_VERSION``) and as it negotiates, where only
``image inspect`` differs (API 1.50's shape: ``docs/engine-api.md``).
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from tests.compat.dockerd import PrivateDockerd
from tests.server.compare import run_steps
from tests.server.helpers import ORACLE_20, ServerProcess

pytestmark = pytest.mark.compat

DEBIAN_CLI = "/usr/bin/docker"


def _client(path: str | None) -> str:
    if path is None or not os.access(path, os.X_OK):
        pytest.skip(f"docker client {path} is not installed")
    if not ORACLE_20.is_dir():
        pytest.skip("shared/oracle/docker-20.10 is not available")
    return path


def _compare(docker: str, dockerd: PrivateDockerd, tmp_path: Path, pin: str | None,
             skip_inspect: bool = False) -> None:  # fmt: skip
    dockerd.reset()
    extra = {"DOCKER_API_VERSION": pin} if pin else {}
    want = run_steps(docker, {**dockerd.env, **extra}, tmp_path)
    with ServerProcess() as server:
        got = run_steps(docker, {**server.env, **extra}, tmp_path)
    problems = []
    for (step, *theirs), (_, *ours) in zip(want, got, strict=True):
        if skip_inspect and step.startswith("image inspect") and "--format" not in step:
            assert ours[0] == theirs[0], step
            continue
        if theirs != ours:
            diff = difflib.unified_diff(
                f"exit {theirs[0]}\n{theirs[1]}\n--- stderr\n{theirs[2]}".splitlines(),
                f"exit {ours[0]}\n{ours[1]}\n--- stderr\n{ours[2]}".splitlines(),
                "dockerd", "dockyard", lineterm="",
            )  # fmt: skip
            problems.append(f"docker {step}\n" + "\n".join(diff))
    assert not problems, "\n\n".join(problems)


def test_cli_28_pinned_to_1_41(private_dockerd: PrivateDockerd, tmp_path: Path) -> None:
    _compare(_client(shutil.which("docker")), private_dockerd, tmp_path, "1.41")


def test_cli_28_negotiated(private_dockerd: PrivateDockerd, tmp_path: Path) -> None:
    _compare(_client(shutil.which("docker")), private_dockerd, tmp_path, None, skip_inspect=True)


def test_cli_20_10(private_dockerd: PrivateDockerd, tmp_path: Path) -> None:
    _compare(_client(DEBIAN_CLI), private_dockerd, tmp_path, None)
