"""``tag``, ``rmi``, ``image prune``, ``system df``, ``import``, ``export`` and ``check``."""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path

import pytest

from tests.cli.conftest import CLI, oracle_file, record

VERSION = "docker-28.3"
SIZE = r"\d+(\.\d+)?[kMGT]?B"


def _id(name: str, version: str = VERSION, index: int = 0) -> str:
    value: str = record(version, name)["inspect"][index]["Id"]
    return value


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def _tags(cli: CLI) -> list[str]:
    return sorted(cli("images", "-a", "--format", "{{.Repository}}:{{.Tag}}").ok().lines)


def _ids(cli: CLI) -> set[str]:
    return set(cli("images", "-a", "-q", "--no-trunc").ok().lines)


# -- tag -----------------------------------------------------------------------------------


def test_tag(cli: CLI, base_tar: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    assert cli("tag", "oracle/base:1", "mine/base").ok().out == ""
    assert cli("tag", _short(_id("base")), "registry.example.com:5000/x/y:z").ok().out == ""
    assert _tags(cli) == ["mine/base:latest", "oracle/base:1", "registry.example.com:5000/x/y:z"]
    missing = cli("tag", "nope", "x:1")
    assert missing.code == 1
    assert missing.err == "Error: No such image: nope:latest\n"
    bad = cli("tag", "oracle/base:1", "Bad:x:y")
    assert bad.code == 1
    assert bad.err.startswith('Error parsing reference: "Bad:x:y" is not a valid repository/tag')


def test_tag_moves_an_existing_tag(cli: CLI, base_tar: Path, app_tar: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    cli("load", "-q", "-i", app_tar).ok()
    cli("tag", "oracle/base:1", "moving:1").ok()
    cli("tag", "oracle/app:1", "moving:1").ok()
    assert cli("inspect", "-f", "{{.Id}}", "moving:1").ok().out == _id("app") + "\n"


# -- rmi -----------------------------------------------------------------------------------


def test_rmi_untags_then_deletes(cli: CLI, base_tar: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    cli("tag", "oracle/base:1", "other:2").ok()
    assert cli("rmi", "other:2").ok().lines == ["Untagged: other:2"]
    result = cli("image", "rm", "oracle/base:1").ok()
    lines = result.lines
    assert lines[:2] == ["Untagged: oracle/base:1", f"Deleted: {_id('base')}"]
    assert all(re.fullmatch(r"Deleted: sha256:[0-9a-f]{64}", line) for line in lines[1:])
    assert len(lines) == 3  # the image and its one layer
    assert _ids(cli) == set()


def test_rmi_conflicts(cli: CLI, multi_tar: Path) -> None:
    cli("load", "-q", "-i", multi_tar).ok()
    docker = record(VERSION, "multi")["inspect"]
    [app] = [i["Id"] for i in docker if i["RepoTags"] == ["oracle/app:latest"]]
    [grand] = [i["Id"] for i in docker if i["RepoTags"] == ["oracle/grand:1"]]
    cli("tag", "oracle/grand:1", "other/grand:1").ok()
    shared = cli("rmi", _short(grand))
    assert shared.code == 1
    assert shared.raw == b""
    assert shared.err == (
        f"Error: conflict: unable to delete {_short(grand)} (must be forced) "
        "- image is referenced in multiple repositories\n"
    )
    # a child image is a hard conflict, checked first (moby's checkImageDeleteConflict)
    cli("tag", "oracle/app:latest", "other/app:1").ok()
    for argv in (["rmi", _short(app)], ["rmi", "-f", _short(app)]):
        child = cli(*argv)
        assert child.code == 1
        assert child.raw == b""
        assert child.err == (
            f"Error: conflict: unable to delete {_short(app)} (cannot be "
            "forced) - image has dependent child images\n"
        )
    missing = cli("rmi", "nope", "other/app:1")  # one failure does not stop the others
    assert missing.code == 1
    assert missing.err == "Error: No such image: nope:latest\n"
    assert missing.lines == ["Untagged: other/app:1"]
    assert "other/app:1" not in _tags(cli)
    assert len(_ids(cli)) == 4


def test_rmi_of_a_parent_by_name_only_untags(cli: CLI, multi_tar: Path) -> None:
    cli("load", "-q", "-i", multi_tar).ok()
    docker = record(VERSION, "multi")["inspect"]
    [app] = [i["Id"] for i in docker if i["RepoTags"] == ["oracle/app:latest"]]
    result = cli("rmi", "oracle/app:latest").ok()
    assert result.lines == ["Untagged: oracle/app:latest"]
    assert app in _ids(cli)  # kept as grand's parent: an intermediate image
    assert cli("images", "-q", "--no-trunc").ok().lines.count(app) == 0
    removed = cli("rmi", "oracle/grand:1").ok().lines
    assert removed[0] == "Untagged: oracle/grand:1"
    deleted = [line.removeprefix("Deleted: ") for line in removed[1:]]
    assert deleted[0] != app
    assert app in deleted, "the untagged parent goes with its child"
    assert app not in _ids(cli)


def test_rmi_force_removes_every_tag(cli: CLI, base_tar: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    cli("tag", "oracle/base:1", "other:2").ok()
    result = cli("rmi", "-f", _short(_id("base"))).ok()
    assert sorted(line for line in result.lines if line.startswith("Untagged")) == [
        "Untagged: oracle/base:1",
        "Untagged: other:2",
    ]
    assert f"Deleted: {_id('base')}" in result.lines
    assert _ids(cli) == set()


# -- prune ---------------------------------------------------------------------------------


def _with_dangling(cli: CLI) -> str:
    """Load 20.10's base, then 28.3's: the tag moves and the old image dangles."""
    cli("load", "-q", "-i", oracle_file("docker-20.10", "base.tar")).ok()
    cli("load", "-q", "-i", oracle_file(VERSION, "base.tar")).ok()
    return _id("base", "docker-20.10")


def test_prune_dangling(cli: CLI) -> None:
    old = _with_dangling(cli)
    result = cli("image", "prune", "-f").ok()
    lines = result.lines
    assert lines[0] == "Deleted Images:"
    assert lines[1] == f"deleted: {old}"
    assert all(re.fullmatch(r"deleted: sha256:[0-9a-f]{64}", line) for line in lines[1:-2])
    assert lines[-2] == ""
    assert re.fullmatch(f"Total reclaimed space: {SIZE}", lines[-1])
    assert lines[-1] != "Total reclaimed space: 0B"
    assert _ids(cli) == {_id("base")}
    again = cli("image", "prune", "-f").ok()
    assert again.out == "Total reclaimed space: 0B\n"


def test_prune_all(cli: CLI) -> None:
    _with_dangling(cli)
    result = cli("image", "prune", "-a", "-f").ok()
    assert result.lines[0] == "Deleted Images:"
    assert "untagged: oracle/base:1" in result.lines
    assert f"deleted: {_id('base')}" in result.lines
    assert re.fullmatch(f"Total reclaimed space: {SIZE}", result.lines[-1])
    assert _ids(cli) == set()


def test_prune_asks_first(cli: CLI) -> None:
    old = _with_dangling(cli)
    before = _ids(cli)
    declined = cli("image", "prune", stdin=b"n\n").ok()
    assert declined.out == (
        "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "
    )
    assert _ids(cli) == before
    declined_all = cli("image", "prune", "-a", stdin=b"\n").ok()
    assert declined_all.out.startswith(
        "WARNING! This will remove all images without at least one container associated to them.\n"
    )
    assert _ids(cli) == before
    accepted = cli("image", "prune", stdin=b"y\n").ok()
    assert f"deleted: {old}" in accepted.lines
    assert _ids(cli) == before - {old}


# -- system df -----------------------------------------------------------------------------


def test_system_df(cli: CLI, multi_tar: Path) -> None:
    empty = cli("system", "df").ok().lines
    assert empty[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    assert empty[1].split() == ["Images", "0", "0", "0B", "0B"]
    cli("load", "-q", "-i", multi_tar).ok()
    lines = cli("system", "df").ok().lines
    assert [line.split()[0] for line in lines] == ["TYPE", "Images", "Containers", "Local", "Build"]
    images = lines[1].split()
    assert images[:3] == ["Images", "4", "0"]
    assert re.fullmatch(SIZE, images[3])
    assert images[4:] == [images[3], "(100%)"]
    verbose = cli("system", "df", "-v").ok().out
    assert "Images space usage:" in verbose
    assert "oracle/grand" in verbose


# -- import / export -----------------------------------------------------------------------


def _rootfs_tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in (("etc/hello", b"hi\n"), ("bin/tool", b"#!/bin/sh\necho tool\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_import(cli: CLI, tmp_path: Path) -> None:
    small = tmp_path / "rootfs.tar"
    small.write_bytes(_rootfs_tar())
    result = cli("import", "-q", small).ok()
    assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", result.out)
    assert result.err == ""
    assert cli("images", "-a", "-q", "--no-trunc").ok().lines == [result.out.strip()]
    named = cli("import", "-c", 'CMD ["/bin/sh"]', "-m", "msg", small, "imp:1").ok()
    image = named.out.strip()
    config = json.loads(cli("inspect", image).ok().out)[0]
    assert config["RepoTags"] == ["imp:1"]
    assert config["Config"]["Cmd"] == ["/bin/sh"]
    assert config["Comment"] == "msg"
    history = cli("history", "--format", "{{.Comment}}|{{.Size}}", "imp:1").ok().lines
    assert history == ["msg|" + history[0].split("|")[1]]
    from_stdin = cli("import", "-q", "-", "piped:1", stdin=small.read_bytes()).ok()
    assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", from_stdin.out)
    assert "piped:1" in _tags(cli)


def test_import_missing_file(cli: CLI, tmp_path: Path) -> None:
    result = cli("import", tmp_path / "absent.tar")
    assert result.code == 1
    assert result.raw == b""
    assert result.err == f"open {tmp_path / 'absent.tar'}: no such file or directory\n"


def test_export_file_and_directory(cli: CLI, app_tar: Path, base_tar: Path, tmp_path: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    cli("load", "-q", "-i", app_tar).ok()
    out = tmp_path / "base-rootfs.tar"
    assert cli("export", "-q", "-o", out, "oracle/base:1").ok().raw == b""
    with tarfile.open(out) as tar:
        base_names = {n.rstrip("/").removeprefix("./") for n in tar.getnames()}
    assert {"bin/busybox", "etc/passwd"} <= base_names
    app_out = tmp_path / "app-rootfs.tar"
    cli("export", "-q", "-o", app_out, "oracle/app:1").ok()
    with tarfile.open(app_out) as tar:
        app_names = {n.rstrip("/").removeprefix("./") for n in tar.getnames()}
    assert "bin/busybox" in app_names
    assert "etc/passwd" not in app_names, "the whiteout of app's RUN rm /etc/passwd"
    assert not any(".wh." in n for n in app_names)
    unpacked = tmp_path / "unpacked"
    cli("export", "--unpack", "-q", "-o", unpacked, "oracle/app:1").ok()
    assert (unpacked / "bin" / "busybox").is_file()
    assert not (unpacked / "etc" / "passwd").exists()
    on_disk = {str(p.relative_to(unpacked)) for p in unpacked.rglob("*")}
    assert on_disk == app_names - {"", "."}


def test_export_to_stdout_and_refusals(cli: CLI, base_tar: Path) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    piped = cli("export", "-q", "oracle/base:1").ok()
    with tarfile.open(fileobj=io.BytesIO(piped.raw)) as tar:
        assert "bin/busybox" in {n.removeprefix("./") for n in tar.getnames()}
    tty = cli("export", "oracle/base:1", stdout_tty=True)
    assert tty.code != 0
    assert tty.raw == b""
    assert "cowardly refusing to save to a terminal" in tty.err
    unpack = cli("export", "--unpack", "oracle/base:1")
    assert unpack.code != 0
    assert unpack.err.startswith("Error: ")


# -- check ---------------------------------------------------------------------------------


def test_check_clean_store(cli: CLI, multi_tar: Path) -> None:
    cli("load", "-q", "-i", multi_tar).ok()
    result = cli("check").ok()
    assert re.fullmatch(r"checked 4 images, \d+ layers: ok", result.out.strip())


def _layer_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("layer.tar") if p.is_file())


@pytest.mark.parametrize("target", ["layer", "config"])
def test_check_finds_and_repairs_tampering(
    cli: CLI, base_tar: Path, app_tar: Path, target: str
) -> None:
    cli("load", "-q", "-i", base_tar).ok()
    cli("load", "-q", "-i", app_tar).ok()
    base = _id("base")
    if target == "layer":
        sizes = {p: p.stat().st_size for p in _layer_files(cli.root)}
        tampered = max(sizes, key=lambda p: sizes[p])  # app's 3 MB COPY layer
        with tampered.open("r+b") as stream:
            stream.seek(1000)
            stream.write(b"tampered")
        kind = "corrupt-layer"
    else:
        [tampered] = [
            p for p in cli.root.rglob(app_id_hex()) if p.is_file() and "content" in p.parts
        ]
        tampered.write_bytes(tampered.read_bytes().replace(b'"linux"', b'"Linux"'))
        kind = "tampered-image"
    result = cli("check")
    assert result.code == 1
    problems = [line for line in result.lines if line.startswith(kind + ": ")]
    assert problems
    assert str(tampered) in problems[0]
    assert result.lines[-1].startswith("checked 2 images, ")
    assert result.lines[-1].endswith("problem(s)")
    repaired = cli("check", "--repair").ok()
    assert any(line.startswith("repaired: ") for line in repaired.lines)
    assert cli("check").ok().lines[-1].endswith(": ok")
    assert _ids(cli) == {base}
    assert cli("history", "-q", "oracle/base:1").ok().lines == [_short(base)]


def app_id_hex() -> str:
    return _id("app").removeprefix("sha256:")
