from __future__ import annotations

import io
from pathlib import Path

import dockyard
from dockyard.digest import Digest
from dockyard.service.check import check_store
from tests.unit.service.test_export import make_image, make_layer


def store(tmp_path: Path) -> tuple[dockyard.Client, str, str]:
    client = dockyard.open(tmp_path / "store")
    good = make_image(client, [[("a", "file", b"a")]], "good:1")
    bad = make_image(client, [[("b", "file", b"b")], [("c", "file", b"c")]], "bad:1")
    return client, good, bad


def reopen_and_check(client: dockyard.Client, good: str) -> None:
    again = dockyard.open(client.root)
    report = check_store(again)
    assert report.clean, [str(p) for p in report.problems]
    assert again.image_store.get(good).id == good
    assert again.reference_store.get("good:1") == good


def test_clean_store_is_clean(tmp_path: Path) -> None:
    client, _good, _ = store(tmp_path)
    report = check_store(client)
    assert report.clean
    assert report.images == 2
    assert report.layers == 3


def test_tampered_config(tmp_path: Path) -> None:
    client, good, bad = store(tmp_path)
    path = client.layout.config_path(Digest(bad).hex)
    path.write_bytes(path.read_bytes() + b" ")
    client = dockyard.open(client.root)
    report = check_store(client)
    kinds = {p.kind for p in report.problems}
    assert kinds == {"tampered-image", "dangling-tag", "unreferenced-layer"}
    assert report.of_kind("tampered-image")[0].path == path
    (tag,) = report.of_kind("dangling-tag")
    assert f"points to broken image {bad}" in tag.detail
    repaired = check_store(client, repair=True)
    assert any(bad in a for a in repaired.actions)
    assert not path.exists()
    reopen_and_check(client, good)


def test_missing_and_corrupt_layers(tmp_path: Path) -> None:
    client, good, bad = store(tmp_path)
    layer = client.image_store.layer(bad)
    assert layer is not None
    payload = layer.payload_path
    payload.write_bytes(payload.read_bytes().replace(b"c", b"d", 1))
    report = check_store(client)
    (problem,) = report.of_kind("corrupt-layer")
    assert problem.path == payload
    assert problem.subject == bad
    check_store(client, repair=True)
    reopen_and_check(client, good)

    client2, good2, bad2 = store(tmp_path / "two")
    top = client2.image_store.layer(bad2)
    assert top is not None
    layer_dir = client2.root / "image" / "dockyard" / "layerdb" / "sha256" / top.chain_id.hex
    for f in layer_dir.iterdir():
        f.unlink()
    layer_dir.rmdir()
    client2 = dockyard.open(client2.root)
    report = check_store(client2)
    (missing,) = report.of_kind("missing-layer")
    assert missing.path == layer_dir
    assert "does not exist" in missing.detail
    check_store(client2, repair=True)
    reopen_and_check(client2, good2)


def test_dangling_parent_tag_and_leftovers(tmp_path: Path) -> None:
    client, good, bad = store(tmp_path)
    client.image_store.set_parent(good, bad)
    client.image_store.delete(bad)  # clears the parent link of good
    client.image_store.set_parent(good, good)
    parent_file = client.layout.metadata_dir(Digest(good).hex) / "parent"
    parent_file.write_text("sha256:" + "e" * 64)
    (client.root / "tmp" / "docker-import-1").mkdir()
    (client.root / "dockyard" / ("f" * 64)).mkdir()
    layerdb = client.root / "image" / "dockyard" / "layerdb"
    (layerdb / "sha256" / ("a" * 64 + "-" + "b" * 64 + "-removing")).mkdir()
    (client.layout.content / ".tmp-xyz").write_bytes(b"x")
    staged = client.layer_store.register(io.BytesIO(make_layer([("z", "file", b"z")])))
    client.layer_store.forget(staged)  # a layer nobody uses
    report = check_store(client)  # opening a client would already clean the leftovers
    kinds = sorted(p.kind for p in report.problems)
    assert kinds.count("leftover") == 4
    assert "dangling-parent" in kinds
    assert "dangling-tag" in kinds
    assert all("points to missing image" in p.detail for p in report.of_kind("dangling-tag"))
    assert "unreferenced-layer" in kinds
    assert report.of_kind("dangling-parent")[0].path == parent_file
    repaired = check_store(client, repair=True)
    assert len(repaired.actions) >= 7
    assert check_store(client).clean
    reopen_and_check(client, good)
