from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest

import dockyard
from dockyard.digest import DiffID, Digest
from dockyard.errors import InvalidArgumentError, LayerVerificationError
from dockyard.image import Image, RootFS
from dockyard.layer import InvalidLayer
from dockyard.service.export import export_image

Entry = tuple[Any, ...]  # (name, type, data-or-linkname[, mode])


def make_layer(entries: list[Entry]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            name, kind, value = entry[:3]
            info = tarfile.TarInfo(name)
            info.mode = entry[3] if len(entry) > 3 else 0o644
            info.mtime = 1_700_000_000
            if kind == "file":
                info.size = len(value)
                tar.addfile(info, io.BytesIO(value))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE,
                         "link": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE,
                         "char": tarfile.CHRTYPE}[kind]  # fmt: skip
            info.linkname = value or ""
            tar.addfile(info)
    return buf.getvalue()


def make_image(client: dockyard.Client, layers: list[list[Entry]], tag: str = "t:1") -> str:
    parent = None
    handles, diffs = [], []
    for entries in layers:
        layer = client.layer_store.register(io.BytesIO(make_layer(entries)), parent)
        handles.append(layer)
        diffs.append(DiffID(Digest(layer.diff_id)))
        parent = layer.chain_id
    raw = Image(os="linux", architecture="amd64", rootfs=RootFS(diff_ids=diffs)).marshal()
    image_id = client.image_store.create(raw)
    for h in handles:
        client.layer_store.release(h)
    client.reference_store.add_tag(tag, image_id)
    return image_id


def exported(client: dockyard.Client, ref: str = "t:1") -> dict[str, tuple[Any, ...]]:
    out = io.BytesIO()
    export_image(client, ref, out)
    out.seek(0)
    result = {}
    with tarfile.open(fileobj=out) as tar:
        for m in tar:
            data = tar.extractfile(m).read() if m.isreg() else m.linkname  # type: ignore[union-attr]
            result[m.name] = (m.type, data, m.mode)
    return result


@pytest.fixture
def client(tmp_path: Path) -> dockyard.Client:
    return dockyard.open(tmp_path / "store")


def test_whiteouts_opaque_dirs_and_replacement(client: dockyard.Client) -> None:
    make_image(client, [
        [("a", "dir", None, 0o755), ("a/x", "file", b"x"), ("a/y", "file", b"y"),
         ("b", "dir", None), ("b/old", "file", b"o"), ("c", "file", b"c"), ("d", "dir", None),
         ("d/z", "file", b"z")],
        [("a/.wh.x", "file", b""), ("b/new", "file", b"n"), ("b/.wh..wh..opq", "file", b""),
         ("c", "dir", None, 0o700), ("d", "file", b"now a file")],
    ])  # fmt: skip
    tree = exported(client)
    assert sorted(tree) == ["a", "a/y", "b", "b/new", "c", "d"]
    assert tree["c"][0] == tarfile.DIRTYPE
    assert tree["c"][2] == 0o700
    assert tree["d"][1] == b"now a file"


def test_hardlink_to_file_deleted_later_keeps_content(client: dockyard.Client) -> None:
    make_image(client, [
        [("f", "file", b"data", 0o4755), ("g", "link", "f")],
        [(".wh.f", "file", b"")],
        [("h", "link", "g")],
    ])  # fmt: skip
    tree = exported(client)
    assert sorted(tree) == ["g", "h"]
    # as in Docker, a hard link's own header sets the shared inode's mode (0644 here)
    assert tree["g"] == (tarfile.REGTYPE, b"data", 0o644)
    assert tree["h"][0] == tarfile.LNKTYPE
    assert tree["h"][1] == "g"


def test_path_escapes_are_clamped_to_the_root(client: dockyard.Client) -> None:
    make_image(client, [
        [("../../evil", "file", b"e"), ("/abs", "file", b"a"), ("etc", "dir", None),
         ("link", "sym", "/etc"), ("up", "sym", "../../../../etc")],
        [("link/passwd", "file", b"p"), ("up/shadow", "file", b"s")],
    ])  # fmt: skip
    tree = exported(client)
    assert sorted(tree) == ["abs", "etc", "etc/passwd", "etc/shadow", "evil", "link", "up"]
    assert tree["link"] == (tarfile.SYMTYPE, "/etc", 0o644)


def test_hardlink_to_nothing_is_an_error(client: dockyard.Client, tmp_path: Path) -> None:
    make_image(client, [[("x", "link", "missing")]])
    with pytest.raises(InvalidLayer):
        exported(client)
    with pytest.raises(InvalidLayer):
        export_image(client, "t:1", tmp_path / "out", as_directory=True)
    assert not (tmp_path / "out").exists()


def test_export_to_directory_never_follows_symlinks(
    client: dockyard.Client, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    make_image(client, [
        [("esc", "sym", str(outside)), ("rel", "sym", "../../outside"), ("d", "dir", None, 0o555),
         ("d/f", "file", b"f", 0o600), ("d/g", "link", "d/f"), ("p", "fifo", None),
         ("dev0", "char", None)],
        [("esc/pwned", "file", b"!")],
    ])  # fmt: skip
    target = tmp_path / "rootfs"
    result = export_image(client, "t:1", target, as_directory=True)
    assert os.listdir(outside) == []
    assert (target / str(outside).lstrip("/") / "pwned").read_bytes() == b"!"
    assert os.readlink(target / "esc") == str(outside)
    assert (target / "d" / "f").stat().st_ino == (target / "d" / "g").stat().st_ino
    assert oct((target / "d").stat().st_mode & 0o777) == oct(0o555)
    if os.geteuid() != 0:
        assert any("dev0" in w for w in result.warnings)
    with pytest.raises(InvalidArgumentError):
        export_image(client, "t:1", target, as_directory=True)


def test_export_to_path_and_tampered_layer(client: dockyard.Client, tmp_path: Path) -> None:
    image_id = make_image(client, [[("f", "file", b"hello")]])
    out = tmp_path / "out.tar"
    result = export_image(client, image_id, out)
    assert result.entries == 1
    assert result.size == 5
    with tarfile.open(out) as tar:
        assert tar.getnames() == ["f"]
    layer = client.image_store.layer(image_id)
    assert layer is not None
    payload = layer.payload_path
    data = bytearray(payload.read_bytes())
    data[data.index(b"hello")] = ord("j")
    payload.write_bytes(bytes(data))
    with pytest.raises(LayerVerificationError):
        export_image(client, image_id, tmp_path / "out2.tar")
    assert not (tmp_path / "out2.tar").exists()
