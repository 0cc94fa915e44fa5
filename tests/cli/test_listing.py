"""``images``, ``history`` and ``inspect`` in their table, quiet and template forms.

Tables are checked against an independent rendering of Docker's ``text/tabwriter`` setup
(minimum width 10, padding 3, the last column unpadded) with the oracle's values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.cli.conftest import CLI, oracle_file, record

VERSION = "docker-28.3"


def tabwrite(rows: list[list[str]]) -> str:
    """Docker's ``tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`` over tab-separated cells."""
    widths = [max(10, max(len(r[i]) for r in rows) + 3) for i in range(len(rows[0]) - 1)]
    return "".join(
        "".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + row[-1] + "\n"
        for row in rows
    )


def go_human(size: float) -> str:
    """``units.HumanSizeWithPrecision(size, 3)``: decimal units, ``%.3g``."""
    units = ["B", "kB", "MB", "GB", "TB", "PB"]
    i = 0
    while size >= 1000 and i < len(units) - 1:
        size /= 1000
        i += 1
    return f"{size:.3g}{units[i]}"


def short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def _multi(cli: CLI) -> list[dict[str, Any]]:
    cli("load", "-q", "-i", oracle_file(VERSION, "multi.tar")).ok()
    return cli("images", "-a", "--no-trunc", "--format", "json").ok().json_lines()


# -- images --------------------------------------------------------------------------------


def test_images_default_table(cli: CLI) -> None:
    rows = _multi(cli)
    table = cli("images").ok().out
    expected = tabwrite(
        [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]]
        + [[r["Repository"], r["Tag"], short(r["ID"]), r["CreatedSince"], r["Size"]] for r in rows]
    )
    assert table == expected
    assert cli("images", "--format", "table").ok().out == expected
    assert cli("image", "ls").ok().out == expected


def test_images_table_lists_docker_rows(cli: CLI) -> None:
    _multi(cli)
    lines = cli("images").ok().lines
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    docker = record(VERSION, "multi")["images"]
    assert [line.split()[:3] for line in lines[1:]] == [
        [r["Repository"], r["Tag"], short(r["ID"])] for r in docker
    ]


def test_images_digests(cli: CLI) -> None:
    rows = _multi(cli)
    out = cli("images", "--digests").ok().out
    assert out == tabwrite(
        [["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"]]
        + [
            [r["Repository"], r["Tag"], "<none>", short(r["ID"]), r["CreatedSince"], r["Size"]]
            for r in rows
        ]
    )


def test_images_quiet(cli: CLI) -> None:
    rows = _multi(cli)
    cli("tag", "oracle/base:1", "other/base:2").ok()
    quiet = cli("images", "-q").ok().lines
    assert all(re.fullmatch(r"[0-9a-f]{12}", line) for line in quiet)
    # one line per row of the table, as Docker's {{.ID}} over the same rows
    table = cli("images").ok().lines[1:]
    assert quiet == [line.split()[2] for line in table]
    assert sorted(set(quiet)) == sorted(short(r["ID"]) for r in rows)
    assert len(quiet) == len(rows) + 1
    full = cli("images", "-q", "--no-trunc").ok().lines
    assert [short(f) for f in full] == quiet
    assert all(f.startswith("sha256:") for f in full)


def test_images_dangling_filter(cli: CLI) -> None:
    old = record("docker-20.10", "base")["inspect"][0]["Id"]
    cli("load", "-q", "-i", oracle_file("docker-20.10", "base.tar")).ok()
    cli("load", "-q", "-i", oracle_file(VERSION, "base.tar")).ok()
    dangling = (
        cli("images", "--filter", "dangling=true", "--format", "{{.Repository}} {{.Tag}} {{.ID}}")
        .ok()
        .lines
    )
    assert dangling == [f"<none> <none> {short(old)}"]
    tagged = cli("images", "-f", "dangling=false", "--format", "{{.Repository}}:{{.Tag}}").ok()
    assert tagged.lines == ["oracle/base:1"]
    table = cli("images").ok().lines
    assert len(table) == 3
    assert table[2].split()[:3] == ["<none>", "<none>", short(old)]


def test_images_reference_filter_and_template(cli: CLI) -> None:
    _multi(cli)
    cli("tag", "oracle/base:1", "other/base:2").ok()
    cli("tag", "oracle/base:1", "registry.example.com:5000/team/app:v1").ok()
    everything = cli("images", "--format", "{{.Repository}}:{{.Tag}}").ok().lines
    assert sorted(everything) == sorted(
        [
            "oracle/grand:1",
            "oracle/scratch:1",
            "oracle/app:latest",
            "oracle/base:1",
            "other/base:2",
            "registry.example.com:5000/team/app:v1",
        ]
    )
    oracle = (
        cli("images", "--filter", "reference=oracle/*", "--format", "{{.Repository}}:{{.Tag}}")
        .ok()
        .lines
    )
    assert oracle == [line for line in everything if line.startswith("oracle/")]
    assert cli("images", "oracle/base", "--format", "{{.Repository}}:{{.Tag}}").ok().lines == [
        "oracle/base:1"
    ]
    assert cli("images", "--filter", "reference=nothing*").ok().lines == [
        "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE"
    ]


def test_images_bad_filter(cli: CLI) -> None:
    result = cli("images", "--filter", "dangling")
    assert result.code == 125  # refused while parsing the flags, as Docker does
    assert result.raw == b""
    assert result.err.startswith(
        'invalid argument "dangling" for "-f, --filter" flag: bad format of filter '
        "(expected name=value)\n\nUsage:  dockyard images [OPTIONS] [REPOSITORY[:TAG]]\n")
    for value, shown in (("maybe", "[maybe]"), ("TRUE", "[TRUE]")):
        bad = cli("images", "--filter", f"dangling={value}")
        assert (bad.code, bad.err) == (1, f"Error: invalid filter 'dangling={shown}'\n")


def test_images_on_an_empty_store(cli: CLI) -> None:
    assert cli("images").ok().out == "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"
    assert cli("images", "-q").ok().out == ""


# -- history -------------------------------------------------------------------------------


def _history_rows(version: str, name: str) -> tuple[str, list[dict[str, Any]]]:
    data = record(version, name)
    image = data["inspect"][0]["Id"]
    rows: list[dict[str, Any]] = data["history"][image]
    return image, rows


def test_history_default_table(cli: CLI, app_tar: Path) -> None:
    cli("load", "-q", "-i", app_tar).ok()
    _image, docker = _history_rows(VERSION, "app")
    ours = cli("history", "--format", "{{json .}}", "--no-trunc", "oracle/app:1").ok()
    since = [r["CreatedSince"] for r in ours.json_lines()]
    table = cli("history", "oracle/app:1").ok().out

    def ellipsis(text: str) -> str:
        return text if len(text) <= 45 else text[:44] + "…"

    expected = tabwrite(
        [["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]]
        + [
            [
                short(r["ID"]) if r["ID"] != "<missing>" else "<missing>",
                s,
                ellipsis(r["CreatedBy"]),
                r["Size"],
                r["Comment"],
            ]
            for r, s in zip(docker, since, strict=True)
        ]
    )
    assert table == expected
    assert cli("history", "--format", "table", "oracle/app:1").ok().out == expected
    truncated = [r["CreatedBy"] for r in docker if len(r["CreatedBy"]) > 45]
    assert truncated, "the oracle has long CREATED BY values"
    assert truncated[0][:44] + "…" in table
    assert truncated[0] not in table


def test_history_no_trunc(cli: CLI, app_tar: Path) -> None:
    cli("load", "-q", "-i", app_tar).ok()
    image, docker = _history_rows(VERSION, "app")
    out = cli("history", "--no-trunc", "oracle/app:1").ok().out
    assert image in out
    assert all(r["CreatedBy"] in out for r in docker)


def test_history_quiet(cli: CLI, app_tar: Path) -> None:
    cli("load", "-q", "-i", app_tar).ok()
    image, docker = _history_rows(VERSION, "app")
    assert cli("history", "-q", "oracle/app:1").ok().lines == [
        short(r["ID"]) if r["ID"] != "<missing>" else "<missing>" for r in docker
    ]
    assert cli("history", "-q", "--no-trunc", short(image)).ok().lines == [r["ID"] for r in docker]


def test_history_not_human(cli: CLI, app_tar: Path) -> None:
    cli("load", "-q", "-i", app_tar).ok()
    _, docker = _history_rows(VERSION, "app")
    for flag in ("-H=false", "--human=false"):
        rows = (
            cli("history", flag, "--format", "{{.CreatedSince}}\t{{.Size}}", "oracle/app:1")
            .ok()
            .lines
        )
        assert len(rows) == len(docker)
        for line, want in zip(rows, docker, strict=True):
            created, size = line.split("\t")
            assert created == want["CreatedAt"]  # RFC 3339 in local time (UTC here)
            assert re.fullmatch(r"\d+", size)
            assert go_human(int(size)) == want["Size"]
    table = cli("history", "-H=false", "oracle/app:1").ok().lines
    assert table[1].split()[1] == docker[0]["CreatedAt"]
    assert any(re.search(r"\s3\d{6}\s", line) for line in table), "raw byte sizes"


def test_history_unknown_image(cli: CLI) -> None:
    result = cli("history", "nope")
    assert result.code == 1
    assert result.raw == b""
    assert result.err == "Error: No such image: nope:latest\n"


# -- inspect -------------------------------------------------------------------------------


def test_inspect_template(cli: CLI, app_tar: Path) -> None:
    cli("load", "-q", "-i", app_tar).ok()
    docker = record(VERSION, "app")["inspect"][0]
    assert cli("inspect", "-f", "{{.Os}}", "oracle/app:1").ok().out == "linux\n"
    assert (
        cli("image", "inspect", "--format", "{{.Id}} {{.Architecture}}", "oracle/app:1").ok().out
        == f"{docker['Id']} {docker['Architecture']}\n"
    )
    got = cli("inspect", "-f", "{{json .Config.Labels}}", "oracle/app:1").ok().out
    assert json.loads(got) == docker["Config"]["Labels"]


def test_inspect_missing_image(cli: CLI, app_tar: Path) -> None:
    cli("load", "-q", "-i", app_tar).ok()
    result = cli("image", "inspect", "nope")
    assert result.code == 1
    assert json.loads(result.out) == []
    assert result.err == "Error: No such image: nope:latest\n"
    generic = cli("inspect", "nope")  # Docker's generic inspect
    assert (generic.code, generic.err) == (1, "Error: No such object: nope\n")
    empty = cli("image", "inspect", "")
    assert (empty.code, empty.out, empty.err) == (1, "[]\n", "Error: No such image: \n")
    mixed = cli("inspect", "-f", "{{.Os}}", "oracle/app:1", "nope")
    assert mixed.code == 1
    assert mixed.out == "linux\n"
    assert "nope" in mixed.err


def test_inspect_default_api_is_1_50(cli: CLI, app_tar: Path) -> None:
    cli("load", "-q", "-i", app_tar).ok()
    default = json.loads(cli("inspect", "oracle/app:1").ok().out)
    assert default == json.loads(cli("inspect", "--api", "1.50", "oracle/app:1").ok().out)
    old = json.loads(cli("inspect", "--api", "1.41", "oracle/app:1").ok().out)
    assert default[0]["Id"] == old[0]["Id"]
    assert list(default[0]) != list(old[0]), "the two API shapes differ"
