"""``python -m tests.parity [-k TEXT]``: run the scenario and print every difference."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.compat.dockerd import PrivateDockerd, find_tool
from tests.parity.scenario import SCENARIO
from tests.parity.session import Session


def main() -> int:
    """Run the scenario against a private dockerd; exit 1 when something differs."""
    parser = argparse.ArgumentParser(prog="python -m tests.parity")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every step")
    args = parser.parse_args()
    clients = Session.clients()
    if not clients:
        print("no docker client found", file=sys.stderr)
        return 2
    with PrivateDockerd(dockerd=find_tool("dockerd"), docker=clients[0][1]) as daemon, \
            tempfile.TemporaryDirectory(prefix="parity-") as tmp:
        report = Session(daemon, Path(tmp), clients).run(SCENARIO)
    for outcome in report.outcomes:
        if outcome.problems or args.verbose:
            print(outcome.report(), end="\n\n")
    for title in report.v20_differs:
        print(f"docker 20.10 differs (not marked v20): {title}")
    for title in report.v20_marked_same:
        print(f"docker 20.10 does not differ (marked v20): {title}")
    print(f"{len(report.outcomes)} steps, {len(report.failures)} differ, reference "
          f"{report.reference}, also {', '.join(report.others) or 'none'}; "
          f"{report.seconds:.1f} s")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
