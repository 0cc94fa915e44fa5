"""Fixtures shared by every test directory: the one private dockerd of a test session,
and the check that no test leaves files behind in the temporary directory.

Leak check: once pytest's own base temporary directory exists, ``$TMPDIR`` (and
:func:`tempfile.gettempdir`) point at a private directory for the rest of the session,
so that whatever a test or a process it starts creates there can be seen. At the end of
the session anything left in it fails the run (listed in the summary); the directory is
then removed, so a run never leaves anything in the real temporary directory but
pytest's own base directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.dockerd import PrivateDockerd, docker_cli_for, require_root, require_tool

_startup_times: list[float] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # every test that uses the real daemon is a compatibility test, marked or not
    for item in items:
        if "dockerd" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.compat)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for seconds in _startup_times:
        terminalreporter.write_line(f"private dockerd answered after {seconds:.2f} s")
    for path in _leaks:
        terminalreporter.write_line(f"LEAK: a test left {path} in the temporary directory")


_private_tmp: list[tuple[Path, str | None, str | None]] = []
_leaks: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def _private_tmpdir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Point ``$TMPDIR`` at a private directory, checked for leftovers at the end."""
    tmp_path_factory.getbasetemp()  # pytest's own directory stays where it belongs
    real = tempfile.gettempdir()
    private = Path(tempfile.mkdtemp(prefix="dockyard-tests-", dir=real))
    private.chmod(0o755)  # tests that run commands as another user reach their stores
    _private_tmp.append((private, os.environ.get("TMPDIR"), tempfile.tempdir))
    os.environ["TMPDIR"] = str(private)
    tempfile.tempdir = str(private)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a test left something in the private temporary directory."""
    while _private_tmp:
        private, env, module = _private_tmp.pop()
        if env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = env
        tempfile.tempdir = module
        leftovers = sorted(p.name for p in private.iterdir()) if private.is_dir() else []
        _leaks.extend(leftovers)
        shutil.rmtree(private, ignore_errors=True)
        if leftovers and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def dockerd() -> Iterator[PrivateDockerd]:
    """One private dockerd (vfs, unix socket only) shared by the whole test session.

    Tests that need an empty daemon call ``dockerd.reset()`` first. Skips when not root or
    when dockerd is not installed (with ``CI`` set, `.ci/install-tools` is tried first).
    The daemon trusts registries on loopback over plain HTTP (Docker's default for
    127.0.0.0/8), so it pulls from and pushes to the test registries.
    """
    require_root()
    daemon_path = require_tool("dockerd")
    client = docker_cli_for(daemon_path)
    if client is None:
        client = require_tool("docker")
    with PrivateDockerd(dockerd=daemon_path, docker=client) as daemon:
        if daemon.startup_seconds is not None:
            _startup_times.append(daemon.startup_seconds)
        yield daemon
