"""Fixtures of the server tests: the session's private dockerd 20.10 to compare with, and
the real loopback registries of ``tests/registry`` (re-exported: ``pytest_plugins`` is not
allowed in a conftest below the root)."""

from __future__ import annotations

import pytest

from tests.compat.dockerd import PrivateDockerd
from tests.registry.conftest import (  # noqa: F401 - fixtures re-exported for tests/server
    PASSWORD,
    USER,
    TokenSetup,
    basic_registry,
    registry,
    repo_name,
    session_dir,
    token_registry,
    token_setup,
)


@pytest.fixture(scope="session")
def private_dockerd(dockerd: PrivateDockerd) -> PrivateDockerd:
    """The session's private dockerd (``tests/conftest.py``), under its older name here."""
    return dockerd


#: Lines a test wants quoted in the pytest summary (the load test's latencies).
SUMMARY: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in SUMMARY:
        terminalreporter.write_line(line)
