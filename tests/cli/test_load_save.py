"""``load`` from files and stdin, its errors, and ``save`` in every format."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from tests.cli.conftest import CLI, TerminalBytes, TerminalText, image_id

BASE_ID = "docker-28.3"


def _tags(cli: CLI) -> list[str]:
    return (
        cli("images", "-a", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").ok().lines
    )


# -- load --------------------------------------------------------------------------------------


def test_load_from_stdin(cli: CLI, base_tar: Path) -> None:
    with base_tar.open("rb") as stream:
        result = cli("load", stdin=stream).ok()
    assert result.out == "Loaded image: oracle/base:1\n"
    assert _tags(cli) == [f"oracle/base:1 {image_id('docker-28.3', 'base')}"]


def test_load_quiet_prints_only_the_result(cli: CLI, app_tar: Path) -> None:
    result = cli("load", "-q", "-i", app_tar).ok()
    assert result.out == "Loaded image: oracle/app:1\n"
    assert result.err == ""


def test_load_progress_goes_to_stderr(cli: CLI, app_tar: Path) -> None:
    result = cli("load", "--input", app_tar).ok()
    assert result.out == "Loaded image: oracle/app:1\n"
    lines = result.err.splitlines()
    assert lines
    assert all(line.startswith("Loading layer ") for line in lines)
    assert lines[-1].endswith("(100%) done")


def test_load_on_a_terminal_draws_rich_bars(cli: CLI, base_tar: Path) -> None:
    terminal = TerminalText()
    result = cli("load", "-i", base_tar, stderr=terminal).ok()
    assert result.out == "Loaded image: oracle/base:1\n"
    drawn = terminal.getvalue()
    assert "Loading layer" in drawn
    assert "━" in drawn
    assert "Loaded image" not in drawn


def test_load_gzip_compressed(cli: CLI, base_tar: Path, tmp_path: Path) -> None:
    packed = gzip.compress(base_tar.read_bytes(), compresslevel=1)
    (tmp_path / "base.tar.gz").write_bytes(packed)
    assert cli("load", "-q", "-i", tmp_path / "base.tar.gz").ok().out == (
        "Loaded image: oracle/base:1\n"
    )
    assert cli("rmi", "oracle/base:1").code == 0
    assert cli("load", "-q", stdin=packed).ok().out == "Loaded image: oracle/base:1\n"
    assert _tags(cli) == [f"oracle/base:1 {image_id('docker-28.3', 'base')}"]


def test_load_missing_file_fails(cli: CLI, tmp_path: Path) -> None:
    result = cli("load", "-i", tmp_path / "absent.tar")
    assert result.code == 1
    assert result.raw == b""
    assert result.err == f"open {tmp_path / 'absent.tar'}: no such file or directory\n"


@pytest.mark.parametrize(
    ("name", "message", "code"),
    [
        ("absent.tar", "no such file or directory", 1),  # Docker's text; not found → 1
        ("a-directory", "is a directory", 1),  # Docker: read a-directory: is a directory
    ],
)
def test_load_unreadable_input_is_an_ordinary_error(
    cli: CLI, tmp_path: Path, name: str, message: str, code: int
) -> None:
    (tmp_path / "a-directory").mkdir()
    result = cli("load", "-i", tmp_path / name)
    assert result.raw == b""
    assert "unexpected" not in result.err
    assert message in result.err.lower()
    assert result.code == code


def test_load_garbage_fails(cli: CLI, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"this is not a tar archive\n" * 40)
    for result in (cli("load", "-i", garbage), cli("load", stdin=garbage.read_bytes())):
        assert result.code not in (0, 70), result.err
        assert result.raw == b""
        assert not result.err.startswith("Error: ")  # Docker prints load errors bare
        assert len(result.err.splitlines()) == 1
    assert cli("images", "-a", "-q").ok().raw == b""


def test_load_refuses_a_terminal_stdin(cli: CLI) -> None:
    result = cli("load", stdin=TerminalBytes(b""))
    assert result.code != 0
    assert result.raw == b""
    assert result.err == "requested load from stdin, but stdin is empty\n"


def test_load_moves_an_existing_tag(cli: CLI) -> None:
    from tests.cli.conftest import oracle_file

    old = image_id("docker-20.10", "base")
    cli("load", "-q", "-i", oracle_file("docker-20.10", "base.tar")).ok()
    result = cli("load", "-i", oracle_file("docker-28.3", "base.tar")).ok()
    assert result.lines == [
        f"The image oracle/base:1 already exists, renaming the old one with ID {old} to "
        "empty string",
        "Loaded image: oracle/base:1",
    ]
    assert cli("images", "-q", "--no-trunc", "--filter", "dangling=true").ok().lines == [old]


# -- save --------------------------------------------------------------------------------------

FORMATS = ["docker", "docker-legacy", "oci"]


def _members(data: bytes) -> set[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return set(tar.getnames())


def _check_layout(fmt: str, names: set[str]) -> None:
    if fmt == "docker":
        assert {"manifest.json", "index.json", "oci-layout", "repositories"} <= names
        assert any(n.startswith("blobs/sha256/") for n in names)
    elif fmt == "docker-legacy":
        assert {"manifest.json", "repositories"} <= names
        assert "index.json" not in names
        assert any(n.endswith("/layer.tar") for n in names)
    else:
        assert {"index.json", "oci-layout"} <= names
        assert any(n.startswith("blobs/sha256/") for n in names)


@pytest.mark.parametrize("fmt", FORMATS)
def test_save_to_file_and_load_back(cli: CLI, app_tar: Path, tmp_path: Path, fmt: str) -> None:
    cli("load", "-q", "-i", app_tar).ok()
    cli("tag", "oracle/app:1", "registry.example.com:5000/team/app:v1").ok()
    before = _tags(cli)
    out = tmp_path / f"saved-{fmt}.tar"
    result = cli(
        "save", "--format", fmt, "-o", out, "oracle/app:1", "registry.example.com:5000/team/app:v1"
    ).ok()
    assert result.raw == b""
    _check_layout(fmt, _members(out.read_bytes()))
    other = CLI(tmp_path / "other", tmp_path)
    loaded = other("load", "-i", out).ok()
    assert sorted(loaded.lines) == [
        "Loaded image: oracle/app:1",
        "Loaded image: registry.example.com:5000/team/app:v1",
    ]
    assert _tags(other) == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_save_to_stdout(cli: CLI, base_tar: Path, tmp_path: Path, fmt: str) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    result = cli("save", "--format", fmt, "oracle/base:1").ok()
    assert len(result.raw) > 1_000_000
    _check_layout(fmt, _members(result.raw))
    assert "Saving" in result.err  # progress on stderr, never inside the archive
    other = CLI(tmp_path / "other", tmp_path)
    assert other("load", "-q", stdin=result.raw).ok().out == "Loaded image: oracle/base:1\n"
    assert _tags(other) == _tags(cli)


def test_save_quiet_writes_only_the_archive(cli: CLI, base_tar: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    result = cli("save", "-q", "oracle/base:1").ok()
    assert result.err == ""
    assert "manifest.json" in _members(result.raw)


def test_save_oci_dir(cli: CLI, base_tar: Path, tmp_path: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    out = tmp_path / "layout"
    cli("save", "--format", "oci-dir", "-o", out, "oracle/base:1").ok()
    assert (out / "oci-layout").is_file()
    index = json.loads((out / "index.json").read_bytes())
    assert index["manifests"]
    refused = cli("save", "--format", "oci-dir", "oracle/base:1")
    assert refused.code != 0
    assert refused.raw == b""
    assert refused.err.startswith("Error: ")


def test_save_gzip_round_trip(cli: CLI, base_tar: Path, tmp_path: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    out = tmp_path / "base.tar.gz"
    cli("save", "-q", "--compress", "gzip", "-o", out, "oracle/base:1").ok()
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    other = CLI(tmp_path / "other", tmp_path)
    assert other("load", "-q", "-i", out).ok().out == "Loaded image: oracle/base:1\n"


def test_save_by_id_keeps_the_id(cli: CLI, base_tar: Path, tmp_path: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    full = image_id("docker-28.3", "base")
    result = cli("save", "-q", full.removeprefix("sha256:")[:12]).ok()
    other = CLI(tmp_path / "other", tmp_path)
    assert other("load", "-q", stdin=result.raw).ok().out == f"Loaded image ID: {full}\n"


def test_save_refuses_a_terminal(cli: CLI, base_tar: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    result = cli("save", "oracle/base:1", stdout_tty=True)
    assert result.code != 0
    assert result.raw == b""
    assert result.err == (
        "cowardly refusing to save to a terminal. Use the -o flag or redirect\n"
    )


def test_save_unknown_image(cli: CLI, tmp_path: Path) -> None:
    result = cli("save", "-o", tmp_path / "x.tar", "nope:1")
    assert result.code == 1
    assert result.err == "Error: reference does not exist\n"  # Docker 28's words
    assert result.raw == b""
    assert not (tmp_path / "x.tar").exists(), "a failed save left a partial archive"
