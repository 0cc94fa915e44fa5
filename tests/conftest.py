"""Fixtures shared by every test directory: the one private dockerd of a test session."""

from __future__ import annotations

from collections.abc import Iterator

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
