"""The parity suite's private dockerd and its one run of the scenario (per session)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.dockerd import PrivateDockerd, require_root, require_tool
from tests.parity.scenario import SCENARIO
from tests.parity.session import ORACLE, Report, Session


def reference_is_28(clients: list[tuple[str, str]]) -> bool:
    """Whether the newest Docker client is 28 or later (else 20.10 stands in for it)."""
    return bool(clients) and int(clients[0][0].split(".")[0]) >= 28


@pytest.fixture(scope="session")
def parity_report() -> Iterator[Report]:
    """Run the whole scenario once against a private dockerd and dockyard."""
    require_root()
    dockerd = require_tool("dockerd")
    clients = Session.clients()
    if not clients:
        require_tool("docker")
    if not (ORACLE / "base.tar").is_file():
        pytest.skip(f"the shared oracle's archives are not available ({ORACLE})")
    newest = reference_is_28(clients)
    # without a Docker 28 client, the steps where 20.10's client prints otherwise are left out
    steps = [step for step in SCENARIO if newest or not step.v20]
    workdir = Path(tempfile.mkdtemp(prefix="parity-"))
    try:
        with PrivateDockerd(dockerd=dockerd, docker=clients[0][1]) as daemon:
            yield Session(daemon, workdir, clients).run(steps)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
