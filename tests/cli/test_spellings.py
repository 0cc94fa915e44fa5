"""Docker's command spellings, ``--version``, usage errors, ``--debug`` and the store root."""

from __future__ import annotations

import re
from pathlib import Path

import dockyard
from tests.cli.conftest import CLI


def test_image_spellings(cli: CLI, base_tar: Path) -> None:
    assert cli("image", "load", "-q", "-i", base_tar).ok().out == ("Loaded image: oracle/base:1\n")
    table = cli("images").ok().out
    for spelling in (["image", "ls"], ["image", "list"], ["image", "ls", "-a"]):
        assert cli(*spelling).ok().out == table, spelling
    cli("image", "tag", "oracle/base:1", "x:1").ok()
    assert cli("image", "history", "-q", "x:1").ok().lines == (
        cli("history", "-q", "oracle/base:1").ok().lines
    )
    assert cli("image", "rm", "x:1").ok().lines == ["Untagged: x:1"]
    assert cli("image", "remove", "oracle/base:1").ok().lines[0] == "Untagged: oracle/base:1"
    assert cli("images", "-q").ok().out == ""


def test_system_df_spelling(cli: CLI) -> None:
    assert cli("system", "df").ok().lines[0].split() == [
        "TYPE",
        "TOTAL",
        "ACTIVE",
        "SIZE",
        "RECLAIMABLE",
    ]
    assert cli("df").code == 1  # only under "system": an unknown command, as in Docker
    assert cli("prune").code == 1  # only under "image"


def test_version(cli: CLI) -> None:
    result = cli("--version", root=False)
    assert result.code == 0
    assert result.out == f"dockyard {dockyard.__version__}\n"
    assert re.fullmatch(r"dockyard \d+\.\d+\.\d+\S*\n", result.out)


def test_unknown_command(cli: CLI) -> None:
    result = cli("frobnicate")
    assert result.code == 1
    assert result.raw == b""
    assert result.err == ("dockyard: unknown command: dockyard frobnicate\n\n"
                          "Run 'dockyard --help' for more information\n")


def test_bad_flag_and_missing_argument(cli: CLI) -> None:
    for argv, code in (
        (["images", "--bogus"], 125),
        (["history"], 1),
        (["tag", "only-one"], 1),
        (["inspect", "--api", "1.0", "x"], 125),
        (["save", "--format", "zip", "x"], 125),
    ):
        result = cli(*argv)
        assert result.code == code, argv
        assert result.raw == b""
        assert "\n\nUsage:  dockyard " in result.err


def test_help(cli: CLI) -> None:
    result = cli("--help", root=False)
    assert result.code == 0
    for command in (
        "load",
        "save",
        "images",
        "inspect",
        "history",
        "tag",
        "rmi",
        "import",
        "export",
        "check",
        "image",
        "system",
    ):
        assert command in result.out
    assert result.err == ""


def test_debug_prints_a_traceback(cli: CLI) -> None:
    plain = cli("history", "nope")
    assert plain.code == 1
    assert plain.err == "Error: No such image: nope:latest\n"
    debug = cli("--debug", "history", "nope")
    assert debug.code == 1
    assert debug.err.startswith("Traceback (most recent call last):")
    assert debug.err.endswith("Error: No such image: nope:latest\n")
    assert debug.raw == b""


def test_root_from_the_environment(cli: CLI, base_tar: Path, tmp_path: Path) -> None:
    env_root = tmp_path / "from-env"
    env = dict(cli.env, DOCKYARD_ROOT=str(env_root))
    cli("load", "-q", "-i", base_tar, env=env, root=False).ok()
    assert len(cli("images", "-q", env=env, root=False).ok().lines) == 1
    assert env_root.is_dir()
    assert cli("images", "-q").ok().out == ""  # --root is another store
    xdg = {"HOME": cli.env["HOME"], "XDG_DATA_HOME": str(tmp_path / "xdg")}
    cli("load", "-q", "-i", base_tar, env=xdg, root=False).ok()
    assert (tmp_path / "xdg" / "dockyard").is_dir()
    home_default = {"HOME": cli.env["HOME"]}
    assert cli("images", "-q", env=home_default, root=False).ok().out == ""
    cli("load", "-q", "-i", base_tar, env=home_default, root=False).ok()
    assert (Path(cli.env["HOME"]) / ".local" / "share" / "dockyard").is_dir()
