"""Docker's flag syntax and usage errors (``dockyard.cli.flags`` and ``cli.parser``)."""

from __future__ import annotations

import pytest

from dockyard.cli.flags import UsageError, go_bool
from dockyard.cli.parser import parse_command_line


def parse(*argv: str) -> dict[str, object]:
    args = parse_command_line(argv).args
    assert args is not None
    return vars(args)


def usage(*argv: str) -> tuple[int, str]:
    with pytest.raises(UsageError) as caught:
        parse_command_line(argv)
    return caught.value.code, caught.value.message


def test_pflag_spellings() -> None:
    assert parse("images", "-aq")["all"] is True
    assert parse("images", "-fdangling=true")["filter"] == ["dangling=true"]
    assert parse("images", "-f=dangling=true", "--filter", "label=x")["filter"] == [
        "dangling=true", "label=x"]
    assert parse("images", "--filter=reference=a*")["filter"] == ["reference=a*"]
    assert parse("images", "--all=false")["all"] is False
    assert parse("images", "-a=0")["all"] is False
    assert parse("history", "-qH=false", "x")["human"] is False
    assert parse("history", "x", "--human")["human"] is True  # flags after arguments
    assert parse("images", "--", "-a")["reference"] == "-a"
    assert parse("images", "-")["reference"] == "-"
    assert parse("save", "-o=x.tar", "a", "b")["names"] == ["a", "b"]
    assert parse("--root", "/r", "-D", "images")["root"] == "/r"
    assert parse("--root=/r", "images")["debug"] is False


def test_go_bool() -> None:
    for text in ("1", "t", "T", "TRUE", "true", "True"):
        assert go_bool(text) is True
    for text in ("0", "f", "F", "FALSE", "false", "False"):
        assert go_bool(text) is False


def test_flag_errors_as_docker() -> None:
    tail = "\n\nUsage:  dockyard images [OPTIONS] [REPOSITORY[:TAG]]\n\n" \
        "Run 'dockyard images --help' for more information"
    assert usage("images", "--bogus") == (125, "unknown flag: --bogus" + tail)
    assert usage("images", "--bogus=1") == (125, "unknown flag: --bogus" + tail)
    assert usage("images", "-aqz") == (125, "unknown shorthand flag: 'z' in -aqz" + tail)
    assert usage("images", "--format") == (125, "flag needs an argument: --format" + tail)
    assert usage("images", "---x") == (125, "bad flag syntax: ---x" + tail)
    assert usage("images", "--digests=maybe") == (
        125, 'invalid argument "maybe" for "--digests" flag: strconv.ParseBool: parsing '
        '"maybe": invalid syntax' + tail)
    assert usage("images", "-f", "nokey") == (
        125, 'invalid argument "nokey" for "-f, --filter" flag: bad format of filter '
        "(expected name=value)" + tail)
    code, text = usage("save", "-o")
    assert (code, text.splitlines()[0]) == (125, "flag needs an argument: 'o' in -o")
    code, text = usage("save", "--compress-level", "x", "a")
    assert text.startswith('invalid argument "x" for "--compress-level" flag: '
                           'strconv.ParseInt: parsing "x": invalid syntax')


def test_argument_counts_as_docker() -> None:
    assert usage("history") == (1, "dockyard: 'dockyard history' requires 1 argument\n\n"
                                "Usage:  dockyard history [OPTIONS] IMAGE\n\n"
                                "Run 'dockyard history --help' for more information")
    assert usage("image", "rm") == (1, "dockyard: 'dockyard image rm' requires at least 1 "
                                    "argument\n\nUsage:  dockyard image rm [OPTIONS] IMAGE "
                                    "[IMAGE...]\n\nSee 'dockyard image rm --help' for more "
                                    "information")
    assert usage("load", "x")[1].startswith("dockyard: 'dockyard load' accepts no arguments")
    assert usage("image", "list", "a", "b")[1].startswith(
        "dockyard: 'dockyard image ls' requires at most 1 argument\n\n")
    assert usage("tag", "a", "b", "c")[1].startswith("dockyard: 'dockyard tag' requires 2 "
                                                    "arguments")
    assert usage("tag", "a", "b", "--bogus")[0] == 1  # tag takes no flags after arguments
    assert usage("tag", "--bogus", "a", "b")[0] == 125
    assert parse("import", "a", "b", "c")["file"] == "a"  # Docker ignores the rest
    assert usage("inspect")[1].splitlines()[2] == (
        "Usage:  dockyard inspect [OPTIONS] NAME|ID [NAME|ID...]")


def test_unknown_commands() -> None:
    assert usage("nosuch") == (1, "dockyard: unknown command: dockyard nosuch\n\n"
                               "Run 'dockyard --help' for more information")
    assert usage("image", "nosuch") == (1, "dockyard: unknown command: dockyard image nosuch"
                                        "\n\nUsage:  dockyard image\n\n"
                                        "Run 'dockyard image --help' for more information")
    assert usage("--bogus", "images")[0] == 125


def test_help_and_version() -> None:
    text = parse_command_line(["images", "--help"]).text or ""
    assert text.startswith("\nUsage:  dockyard images [OPTIONS] [REPOSITORY[:TAG]]\n")
    assert "Aliases:\n  dockyard image ls, dockyard image list, dockyard images\n" in text
    assert "  -a, --all " in text
    assert parse_command_line(["image"]).text is not None
    assert parse_command_line([]).text is not None
    assert (parse_command_line(["--version"]).text or "").startswith("dockyard ")
    assert parse_command_line(["history", "-h"]).text is not None
