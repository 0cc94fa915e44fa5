"""The CLI parity suite: every step's stdout, stderr and exit status equal Docker's.

What may differ is listed in ONE table, ``docs/parity.md``; each of its rows is a
deviation of :mod:`tests.parity.deviations`, and nothing else is tolerated.
"""

from __future__ import annotations

import pytest

from tests.parity.deviations import DEVIATIONS, GLOBAL, documented_ids
from tests.parity.scenario import SCENARIO
from tests.parity.session import Report

pytestmark = pytest.mark.compat


def test_the_table_lists_exactly_the_deviations() -> None:
    documented = documented_ids()
    assert len(documented) == len(set(documented)), "an ID appears twice in docs/parity.md"
    assert sorted(documented) == sorted(DEVIATIONS)


def test_every_step_names_documented_deviations() -> None:
    assert len(SCENARIO) >= 120
    for step in SCENARIO:
        for key in step.allow:
            assert key in DEVIATIONS, (step.title, key)
            assert key not in GLOBAL, (step.title, key)


def test_every_command_is_covered() -> None:
    commands = {" ".join(step.argv[:2]) if step.argv[0] in ("image", "system") else step.argv[0]
                for step in SCENARIO}
    for name in ("load", "save", "images", "image ls", "inspect", "image inspect", "history",
                 "tag", "rmi", "image rm", "image prune", "system df", "import", "export"):
        assert name in commands, name


def test_dockyard_answers_as_docker(parity_report: Report) -> None:
    failures = parity_report.failures
    assert not failures, (
        f"{len(failures)} of {len(parity_report.outcomes)} steps differ from "
        f"{parity_report.reference}:\n\n" + "\n\n".join(o.report() for o in failures))


def test_every_step_deviation_is_needed(parity_report: Report) -> None:
    if not parity_report.reference.startswith("docker 28"):
        pytest.skip("checked against Docker 28's client only")
    unused = {k for k, d in DEVIATIONS.items() if k not in GLOBAL and not d.random}
    unused -= parity_report.used
    assert not unused, f"deviations no step needs (remove them from docs/parity.md): {unused}"


def test_docker_20_10_differs_where_marked(parity_report: Report) -> None:
    if not parity_report.others:
        pytest.skip("only one Docker client is installed")
    assert parity_report.v20_differs == [], "20.10 differs from 28 on steps not marked v20"
    assert parity_report.v20_marked_same == [], "marked v20 but 20.10 prints the same"


def test_the_suite_is_fast(parity_report: Report) -> None:
    assert parity_report.seconds < 150, f"the scenario took {parity_report.seconds:.0f} s"
