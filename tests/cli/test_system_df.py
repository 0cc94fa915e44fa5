"""``system df``: Docker 28's summary, ``-v`` layout and ``--format`` (``c28-080..082``)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import CLI


def test_summary_and_formats(cli: CLI, multi_tar: Path) -> None:
    cli("load", "-q", "-i", multi_tar).ok()
    lines = cli("system", "df").ok().lines
    assert lines[0] == "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE"
    assert lines[1].startswith("Images          4         0         ")
    assert lines[2:] == ["Containers      0         0         0B        0B",
                         "Local Volumes   0         0         0B        0B",
                         "Build Cache     0         0         0B        0B"]
    rows = cli("system", "df", "--format", "json").ok().json_lines()
    assert [r["Type"] for r in rows] == ["Images", "Containers", "Local Volumes", "Build Cache"]
    assert list(rows[0]) == ["Active", "Reclaimable", "Size", "TotalCount", "Type"]
    assert rows[0]["Reclaimable"].endswith(" (100%)")
    custom = cli("system", "df", "--format", "table {{.Type}}\\t{{.TotalCount}}").ok().lines
    assert custom[:2] == ["TYPE            TOTAL", "Images          4"]
    bad = cli("system", "df", "--format", "{{.Bogus}}")
    assert (bad.code, bad.err) == (1, 'template parsing error: template: :1:2: executing "" '
                                   "at <.Bogus>: can't evaluate field Bogus in type "
                                   "*formatter.diskUsageImagesContext\n")


def test_verbose(cli: CLI, multi_tar: Path) -> None:
    cli("load", "-q", "-i", multi_tar).ok()
    out = cli("system", "df", "-v").ok().out
    head, rest = out.split("\n\nContainers space usage:\n\n")
    lines = head.splitlines()
    assert lines[:2] == ["Images space usage:", ""]
    assert lines[2].startswith("REPOSITORY       TAG       IMAGE ID       CREATED")
    assert "SHARED SIZE   UNIQUE SIZE   CONTAINERS" in lines[2]
    assert len(lines) == 3 + 4  # one row per image, first tag only
    assert "RECLAIMABLE" not in out  # no summary table with -v, as Docker 28
    assert rest == (
        "CONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      CREATED   STATUS    NAMES"
        "\n\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\n\n"
        "Build cache usage: 0B\n\n"
        "CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n")
    data = json.loads(cli("system", "df", "-v", "--format", "{{json .}}").ok().out)
    assert list(data) == ["Images", "Containers", "Volumes", "BuildCache"]
    assert data["Images"][0]["ID"].startswith("sha256:")
    assert data["Containers"] == []
