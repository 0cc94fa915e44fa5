"""The exit-code table (``dockyard.cli.exitcodes``) holds for every command and category.

Docker's codes where Docker reports the failure (1 for every error, 125 for a bad flag),
dockyard's own for what Docker has no word for: 4 corrupt data, 6 the store cannot be
written, 7 an output cannot be written, 64 an inspect template that does not parse,
130 interrupted, 141 broken pipe.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.cli import exitcodes
from dockyard.errors import (
    ConflictError,
    DigestMismatch,
    FormatError,
    ImageNotFound,
    InvalidArgumentError,
    RegistryError,
    StorageError,
    StoreReadOnly,
)
from tests.cli.conftest import CLI

BASE_ID = "926ad729a8a2"

#: Every command, with arguments that work on a store holding oracle/base:1.
COMMANDS: dict[str, list[str]] = {
    "load": ["load", "-q", "-i", "{base}"],
    "save": ["save", "-o", "{out}", "oracle/base:1"],
    "images": ["images"],
    "image ls": ["image", "ls"],
    "inspect": ["inspect", "oracle/base:1"],
    "image inspect": ["image", "inspect", "oracle/base:1"],
    "history": ["history", "oracle/base:1"],
    "tag": ["tag", "oracle/base:1", "x/y:z"],
    "rmi": ["rmi", "oracle/base:1"],
    "image prune": ["image", "prune", "-f"],
    "system df": ["system", "df"],
    "import": ["import", "-q", "{rootfs}", "imp/x:1"],
    "export": ["export", "-o", "{out}", "oracle/base:1"],
    "check": ["check"],
}

#: Commands with a rule for their number of arguments: too few or too many.
BAD_COUNTS: dict[str, list[str]] = {
    "load": ["load", "extra"],
    "save": ["save"],
    "images": ["images", "a", "b"],
    "image ls": ["image", "ls", "a", "b"],
    "inspect": ["inspect"],
    "image inspect": ["image", "inspect"],
    "history": ["history", "a", "b"],
    "tag": ["tag", "a"],
    "rmi": ["rmi"],
    "image prune": ["image", "prune", "extra"],
    "system df": ["system", "df", "extra"],
    "import": ["import"],
    "export": ["export"],
    "check": ["check", "extra"],
}

#: Not found: exit 1, ``Error: …``.
NOT_FOUND: dict[str, list[str]] = {
    "save": ["save", "-o", "{out}", "nope:1"],
    "images": ["images", "--filter", "before=nope:1"],
    "inspect": ["inspect", "nope:1"],
    "image inspect": ["image", "inspect", "nope:1"],
    "history": ["history", "nope:1"],
    "tag": ["tag", "nope:1", "x/y:z"],
    "rmi": ["rmi", "nope:1"],
    "export": ["export", "-o", "{out}", "nope:1"],
    "load": ["load", "-i", "{missing}"],
    "import": ["import", "{missing}"],
}

#: Invalid argument or input: exit 1.
INVALID: dict[str, list[str]] = {
    "load": ["load", "-q", "-i", "{garbage}"],
    "save": ["save", "-o", "{out}", "Bad/Name:1"],
    "images": ["images", "--filter", "dangling=maybe"],
    "image ls": ["image", "ls", "--filter", "bogus=1"],
    "inspect": ["image", "inspect", "a@@b"],
    "history": ["history", "Bad/Name:1"],
    "tag": ["tag", "oracle/base:1", "Bad/Name:1"],
    "rmi": ["rmi", "Bad/Name:1"],
    "image prune": ["image", "prune", "-f", "--filter", "bogus=1"],
    "import": ["import", "-c", "RUN true", "{rootfs}", "imp/x:1"],
    "export": ["export", "-o", "{out}", "Bad/Name:1"],
    "system df": ["system", "df", "--format", "{{.Bogus}}"],
}


def _argv(template: list[str], tmp_path: Path, base_tar: Path) -> list[str]:
    rootfs = tmp_path / "rootfs.tar"
    if not rootfs.exists():
        import io
        import tarfile

        with tarfile.open(rootfs, "w") as archive:
            info = tarfile.TarInfo("hello")
            info.size = 3
            archive.addfile(info, io.BytesIO(b"hi\n"))
        (tmp_path / "garbage.txt").write_bytes(b"not an archive\n" * 50)
    values = {"base": str(base_tar), "out": str(tmp_path / "out.tar"), "rootfs": str(rootfs),
              "missing": str(tmp_path / "missing.tar"),
              "garbage": str(tmp_path / "garbage.txt")}
    return [arg.format(**values) if arg.startswith("{") and arg.endswith("}") and
            arg[1:-1] in values else arg for arg in template]


def test_the_table() -> None:
    cases = [
        (ImageNotFound("x"), 1), (InvalidArgumentError("x"), 1), (ConflictError("x"), 1),
        (FormatError("x"), 1), (DigestMismatch("sha256:" + "a" * 64, "sha256:" + "b" * 64), 4),
        (RegistryError("x"), 1), (StorageError("x"), 6), (StoreReadOnly("/r"), 6),
        (exitcodes.OutputError("x"), 7), (exitcodes.CommandError("x", 64), 64),
        (KeyboardInterrupt(), 130), (BrokenPipeError(), 141), (ValueError("bug"), 70),
    ]
    for error, code in cases:
        assert exitcodes.exit_code(error) == code, error


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_success_and_bad_flag(name: str, cli: CLI, base_tar: Path, tmp_path: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    argv = _argv(COMMANDS[name], tmp_path, base_tar)
    assert cli(*argv).code == 0, cli(*argv).err
    bad = cli(*argv[:2], "--bogus", *argv[2:]) if argv[0] in ("image", "system") else cli(
        argv[0], "--bogus", *argv[1:])
    assert bad.code == 125
    assert bad.err.startswith("unknown flag: --bogus\n\nUsage:  dockyard ")
    assert bad.raw == b""


@pytest.mark.parametrize("name", sorted(BAD_COUNTS))
def test_wrong_number_of_arguments(name: str, cli: CLI) -> None:
    result = cli(*BAD_COUNTS[name])
    assert result.code == 1  # Docker's code for cli/required.go's errors
    assert result.err.startswith("dockyard: '")
    assert "\n\nUsage:  dockyard " in result.err
    assert result.raw == b""


@pytest.mark.parametrize("name", sorted(NOT_FOUND))
def test_not_found(name: str, cli: CLI, base_tar: Path, tmp_path: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    result = cli(*_argv(NOT_FOUND[name], tmp_path, base_tar))
    assert result.code == 1, result.err
    assert len(result.err.splitlines()) == 1, result.err


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid(name: str, cli: CLI, base_tar: Path, tmp_path: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    result = cli(*_argv(INVALID[name], tmp_path, base_tar))
    assert result.code == 1, result.err
    assert "Traceback" not in result.err


def test_conflict(cli: CLI, multi_tar: Path) -> None:
    cli("load", "-q", "-i", multi_tar).ok()
    for argv in (["rmi", "ea4af2c1b370"], ["rmi", "-f", "ea4af2c1b370"], ["image", "rm",
                                                                          "926ad729a8a2"]):
        cli("tag", "oracle/base:1", "another/base:1").ok()
        result = cli(*argv)
        assert result.code == 1, (argv, result.err)
        assert result.err.startswith("Error: conflict: unable to delete "), result.err


def test_corrupt_config(cli: CLI, base_tar: Path, tmp_path: Path) -> None:
    """A config modified in place: every command that reads it exits 4."""
    cli("load", "-q", "-i", base_tar).ok()
    [config] = (cli.root / "image" / "dockyard" / "imagedb" / "content" / "sha256").glob(
        "926ad729a8a2*")
    data = config.read_bytes()
    config.write_bytes(data.replace(b"/bin/sh", b"/bin/sx"))
    for argv in (["inspect", "oracle/base:1"], ["image", "inspect", BASE_ID],
                 ["history", "oracle/base:1"], ["save", "-o", str(tmp_path / "o.tar"),
                                                "oracle/base:1"],
                 ["export", "-o", str(tmp_path / "e.tar"), "oracle/base:1"]):
        result = cli(*argv)
        assert result.code == 4, (argv, result.err)
        assert "failed to verify" in result.err or "verif" in result.err, result.err


@pytest.mark.parametrize("command", ["save", "export"])
def test_output_cannot_be_written(command: str, cli: CLI, base_tar: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    cli("load", "-q", "-i", base_tar).ok()
    result = cli(command, "-q", "-o", "/dev/full", "oracle/base:1")
    assert result.code == 7, result.err
    assert result.err.startswith("Error: "), result.err


@pytest.mark.parametrize("command", ["save", "export"])
def test_output_path_refused_as_docker(command: str, cli: CLI, base_tar: Path,
                                       tmp_path: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    missing = cli(command, "-o", str(tmp_path / "nodir" / "x.tar"), "oracle/base:1")
    what = "save image" if command == "save" else "export image"
    assert missing.code == 1
    assert missing.err == (f"failed to {what}: invalid output path: stat "
                           f"{tmp_path / 'nodir'}: no such file or directory\n")
    directory = cli(command, "-o", str(tmp_path), "oracle/base:1")
    assert (directory.code, directory.err) == (1, f"failed to {what}: cannot write to a "
                                                  "directory\n")


def test_template_that_does_not_parse(cli: CLI, base_tar: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    assert cli("inspect", "-f", "{{.Foo", "oracle/base:1").code == 64
    assert cli("images", "--format", "{{.Foo").code == 1  # Docker: 64 for inspect only
    assert cli("history", "--format", "{{.Foo}}", "oracle/base:1").code == 1


def test_interrupted(cli: CLI, base_tar: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dockyard.cli.cmd_images as handlers

    def interrupted(*_args: object, **_kw: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(handlers, "cmd_images", interrupted)
    result = cli("images")
    assert (result.code, result.err) == (130, "Error: interrupted\n")


@pytest.mark.parametrize("argv", [["save", "oracle/base:1"], ["inspect", "oracle/base:1"]])
def test_broken_pipe(argv: list[str], cli: CLI, base_tar: Path) -> None:
    """The reader of stdout goes away: exit 141 and nothing on stderr, as Docker."""
    cli("load", "-q", "-i", base_tar).ok()
    code = (
        "import os, subprocess, sys\n"
        "r, w = os.pipe()\n"
        "os.close(r)\n"
        f"p = subprocess.run([sys.executable, '-m', 'dockyard', '--root', {str(cli.root)!r}, "
        f"*{argv!r}], stdout=w, stderr=subprocess.PIPE, timeout=60)\n"
        "sys.stdout.write(f'{p.returncode} {p.stderr!r}')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "TZ": "UTC"})
    assert done.stdout == "141 b''", done.stderr


def test_store_not_writable(cli: CLI, base_tar: Path, tmp_path: Path) -> None:
    """On a read-only store every command that writes exits 6; reads still work."""
    from tests.safety.harness import read_only_view

    cli("load", "-q", "-i", base_tar).ok()
    with read_only_view(cli.root, tmp_path / "ro") as ro:
        store = CLI(ro, tmp_path)
        for template in (COMMANDS["load"], COMMANDS["tag"], COMMANDS["rmi"],
                         COMMANDS["image prune"], COMMANDS["import"]):
            argv = _argv(template, tmp_path, base_tar)
            if argv[0] == "load":
                store("rmi", "oracle/base:1")  # fails too; the load must then write
            result = store(*argv)
            assert result.code == 6, (argv, result.err)
            assert "read-only" in result.err
        assert store("images", "-q").ok().out.strip()
