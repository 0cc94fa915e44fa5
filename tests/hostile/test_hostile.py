"""Hostile and odd archives: each gets a typed error or a documented safe outcome.

For every failing case the store must be byte-for-byte unchanged (the store already
holds an image, so "unchanged" means something) and nothing may appear outside it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import dockyard
from dockyard.archive import contents as contents_module
from dockyard.archive.load import load
from dockyard.errors import (
    CompressionError,
    DockyardError,
    FormatError,
    InvalidArchive,
    InvalidImageConfig,
    InvalidReference,
    UnsafeArchivePath,
    UnsupportedOS,
)
from tests.hostile.builders import (
    KINDS,
    Crafted,
    config_for,
    docker_archive,
    layer_tar,
    sha,
    snapshot,
    source,
)

LAYER = layer_tar({"hello.txt": b"hello\n"})
OTHER = layer_tar({"other.txt": b"other\n"})


@dataclass
class Case:
    build: Callable[[], bytes]
    error: type[DockyardError]
    match: str


def _manifest_item(**changes: object) -> Callable[[dict[str, object]], None]:
    def mutate(item: dict[str, object]) -> None:
        item.update(changes)

    return mutate


def _with(name: str, data: bytes, kind: bytes = tarfile.REGTYPE, link: str = "") -> bytes:
    return docker_archive().add(name, data, kind, link).build()


def _truncated() -> bytes:
    data = docker_archive([layer_tar({"big": os.urandom(40_000)})]).build()
    return data[: len(data) // 2]


def _symlink_config(target: str) -> bytes:
    crafted = docker_archive(mutate=_manifest_item(Config="cfg.json"))
    return crafted.add("cfg.json", kind=tarfile.SYMTYPE, link=target).build()


def _loop() -> bytes:
    crafted = docker_archive(mutate=_manifest_item(Config="a"))
    crafted.add("a", kind=tarfile.SYMTYPE, link="b").add("b", kind=tarfile.SYMTYPE, link="a")
    return crafted.build()


def _second_image_bad() -> bytes:
    good = config_for([OTHER])
    bad = b'{"os":"linux"}'
    crafted = Crafted()
    crafted.add("a/layer.tar", OTHER).add("good.json", good).add("bad.json", bad)
    items = [
        {"Config": "good.json", "RepoTags": ["crafted/good:1"], "Layers": ["a/layer.tar"]},
        {"Config": "bad.json", "RepoTags": ["crafted/bad:1"], "Layers": []},
    ]
    return crafted.add("manifest.json", json.dumps(items).encode()).build()


def _bad_parent() -> bytes:
    parent_cfg = config_for([LAYER])
    child_cfg = config_for([LAYER, OTHER], comment="x")
    doc = json.loads(child_cfg)
    doc["history"][0]["created_by"] = "something else"
    child_cfg = json.dumps(doc).encode()
    crafted = Crafted().add("a/layer.tar", LAYER).add("b/layer.tar", OTHER)
    crafted.add("p.json", parent_cfg).add("c.json", child_cfg)
    parent_id = sha(parent_cfg)
    items = [
        {"Config": "p.json", "RepoTags": None, "Layers": ["a/layer.tar"]},
        {"Config": "c.json", "RepoTags": None, "Layers": ["a/layer.tar", "b/layer.tar"],
         "Parent": parent_id},
    ]
    return crafted.add("manifest.json", json.dumps(items).encode()).build()


def _legacy(repositories: dict[str, dict[str, str]], with_json: bool = True) -> bytes:
    v1 = "ab" * 32
    crafted = Crafted().add(f"{v1}/", kind=tarfile.DIRTYPE).add(f"{v1}/layer.tar", LAYER)
    if with_json:
        crafted.add(f"{v1}/json", json.dumps({"id": v1, "os": "linux"}).encode())
    return crafted.add("repositories", json.dumps(repositories).encode()).build()


def _oci(index: dict[str, object], blobs: dict[str, bytes]) -> bytes:
    crafted = Crafted().add("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
    for name, data in blobs.items():
        crafted.add(f"blobs/sha256/{name}", data)
    return crafted.add("index.json", json.dumps(index).encode()).build()


def _oci_tampered_manifest() -> bytes:
    config = config_for([LAYER])
    manifest = json.dumps({
        "schemaVersion": 2,
        "config": {"digest": sha(config), "size": len(config)},
        "layers": [{"digest": sha(LAYER), "size": len(LAYER)}],
    }).encode()
    index = {"schemaVersion": 2, "manifests": [{"digest": sha(manifest), "size": len(manifest)}]}
    blobs = {sha(config)[7:]: config, sha(LAYER)[7:]: LAYER, sha(manifest)[7:]: manifest + b" "}
    return _oci(index, blobs)


def _oci_missing_blob() -> bytes:
    digest = "sha256:" + "1" * 64
    return _oci({"schemaVersion": 2, "manifests": [{"digest": digest, "size": 10}]}, {})


def _pax_huge_size() -> bytes:
    data = docker_archive().build()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("x")
        info.pax_headers = {"size": str(1 << 62)}
        tar.addfile(info, io.BytesIO(b""))
    return buf.getvalue()[:1536] + data


CASES: dict[str, Case] = {
    "config-traversal": Case(
        lambda: docker_archive(mutate=_manifest_item(Config="../../../../etc/passwd")).build(),
        UnsafeArchivePath, "evalSymlinksInScope"),
    "layer-traversal": Case(
        lambda: docker_archive(mutate=_manifest_item(Layers=["../x/layer.tar"])).build(),
        UnsafeArchivePath, "evalSymlinksInScope"),
    "config-absolute-rerooted": Case(
        lambda: docker_archive(mutate=_manifest_item(Config="/etc/hostname")).build(),
        InvalidArchive, "open /etc/hostname: no such file"),
    "symlink-config-escape": Case(
        lambda: _symlink_config("../../../../etc/passwd"), InvalidArchive,
        "open /etc/passwd: no such file"),
    "symlink-config-absolute": Case(
        lambda: _symlink_config("/etc/passwd"), InvalidArchive, "open /etc/passwd: no such file"),
    "symlink-loop": Case(_loop, InvalidArchive, "too many links"),
    "hardlink-outside": Case(
        lambda: _with("h", b"", tarfile.LNKTYPE, "../../etc/shadow"), InvalidArchive,
        "link /etc/shadow /h: no such file or directory"),
    "hardlink-absolute": Case(
        lambda: _with("h", b"", tarfile.LNKTYPE, "/etc/shadow"), InvalidArchive,
        "link /etc/shadow /h: no such file or directory"),
    "char-device": Case(lambda: _with("dev", b"", tarfile.CHRTYPE), InvalidArchive,
                        "unhandled tar header type"),
    "block-device": Case(lambda: _with("blk", b"", tarfile.BLKTYPE), InvalidArchive,
                         "unhandled tar header type"),
    "fifo": Case(lambda: _with("fifo", b"", tarfile.FIFOTYPE), InvalidArchive,
                 "unhandled tar header type"),
    "truncated-body": Case(_truncated, InvalidArchive, "unexpected EOF"),
    "truncated-header": Case(lambda: docker_archive().build()[:700], InvalidArchive, ""),
    "garbage": Case(lambda: b"\x01garbage" * 200, InvalidArchive, "invalid tar header"),
    "empty-input": Case(lambda: b"", InvalidArchive, "open repositories: no such file"),
    "pax-huge-size": Case(_pax_huge_size, InvalidArchive, ""),
    "manifest-null": Case(lambda: docker_archive(manifest=b"null").build(), InvalidArchive,
                          "manifest cannot be null"),
    "manifest-object": Case(lambda: docker_archive(manifest=b"{}").build(), InvalidArchive,
                            "cannot unmarshal object"),
    "manifest-not-json": Case(lambda: docker_archive(manifest=b"[{").build(), InvalidArchive,
                              "unexpected EOF"),
    "config-not-json": Case(lambda: docker_archive(config=b"{nope").build(), InvalidImageConfig,
                            ""),
    "config-no-rootfs": Case(lambda: docker_archive(config=b'{"os":"linux"}').build(),
                             InvalidImageConfig, "no RootFS key"),
    "layers-mismatch": Case(
        lambda: docker_archive(mutate=_manifest_item(Layers=[])).build(), InvalidArchive,
        "layers length mismatch: expected 0, got 1"),
    "diffid-mismatch": Case(
        lambda: docker_archive([LAYER], config=config_for([OTHER])).build(), InvalidArchive,
        'invalid diffID for layer 0: expected "' + sha(OTHER)),
    "layer-not-tar": Case(
        lambda: docker_archive().replace("0" * 64 + "/layer.tar", os.urandom(3000)).build(),
        FormatError, ""),
    "layer-corrupt-gzip": Case(
        lambda: docker_archive().replace(
            "0" * 64 + "/layer.tar", gzip.compress(LAYER)[:-20] + b"\0" * 20).build(),
        CompressionError, ""),
    "layer-missing": Case(
        lambda: docker_archive().drop("0" * 64 + "/layer.tar").build(), InvalidArchive,
        "open " + "0" * 64 + "/layer.tar: no such file or directory"),
    "layer-duplicate-paths": Case(
        lambda: docker_archive([layer_tar({"a": b"1"}, duplicate="a")]).build(), FormatError,
        "duplicates of file paths not supported"),
    "repotag-uppercase": Case(lambda: docker_archive(repo_tags=["Crafted/Img:1"]).build(),
                              InvalidReference, "must be lowercase"),
    "repotag-no-tag": Case(lambda: docker_archive(repo_tags=["crafted/img"]).build(),
                           InvalidArchive, 'invalid tag "crafted/img"'),
    "repotag-digest": Case(
        lambda: docker_archive(repo_tags=["crafted/img@sha256:" + "a" * 64]).build(),
        InvalidArchive, "invalid tag"),
    "windows-image": Case(
        lambda: docker_archive(config=config_for([LAYER], os="windows")).build(),
        UnsupportedOS, "cannot load windows image on linux"),
    "history-too-long": Case(
        lambda: docker_archive(config=config_for([LAYER], history=[{}, {}])).build(),
        InvalidImageConfig, "too many non-empty layers in History section"),
    "invalid-parent": Case(_bad_parent, InvalidArchive, "is not a valid parent for"),
    "second-image-bad": Case(_second_image_bad, InvalidImageConfig, "no RootFS key"),
    "legacy-unknown-target": Case(lambda: _legacy({"crafted/img": {"1": "cd" * 32}}),
                                  InvalidArchive, "invalid target ID: " + "cd" * 32),
    "legacy-missing-json": Case(lambda: _legacy({}, with_json=False), InvalidArchive,
                                "no such file or directory"),
    "oci-blob-tampered": Case(_oci_tampered_manifest, InvalidArchive, "does not match"),
    "oci-blob-missing": Case(_oci_missing_blob, InvalidArchive, "no such file or directory"),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("kind", KINDS)
def test_hostile_archive(store: dockyard.Client, tmp_path: Path, name: str, kind: str) -> None:
    case = CASES[name]
    data = case.build()
    before = snapshot(store.root)
    archive = tmp_path.parent / f"{tmp_path.name}-archive.tar"
    with pytest.raises(case.error) as raised:
        load(store, source(data, kind, archive))
    assert case.match in str(raised.value)
    assert snapshot(store.root) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "store"]
    assert list((tmp_path / "cwd").iterdir()) == []
    reopened = dockyard.open(store.root)
    assert not reopened.problems
    assert reopened.reference_store.get("existing/img:1") in reopened.image_store


def test_json_members_are_size_limited(
    store: dockyard.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contents_module, "JSON_LIMIT", 64)
    before = snapshot(store.root)
    with pytest.raises(InvalidArchive, match="larger than the 64 bytes allowed"):
        load(store, io.BytesIO(docker_archive().build()))
    assert snapshot(store.root) == before


# --- odd but valid: the documented safe outcomes ----------------------------------------


def test_dot_slash_members_load(store: dockyard.Client) -> None:
    crafted = docker_archive(repo_tags=["crafted/dot:1"])
    for entry in crafted.entries:
        entry.name = "./" + entry.name
    result = load(store, io.BytesIO(crafted.build()))
    assert result.output == "Loaded image: crafted/dot:1\n"


def test_symlinked_layer_inside_archive_loads(store: dockyard.Client) -> None:
    config = config_for([LAYER, LAYER])
    crafted = Crafted().add("a/layer.tar", LAYER).add("b/layer.tar", kind=tarfile.SYMTYPE,
                                                       link="../a/layer.tar")
    crafted.add("c.json", config)
    items = [{"Config": "c.json", "RepoTags": ["crafted/twice:1"],
              "Layers": ["a/layer.tar", "b/layer.tar"]}]
    crafted.add("manifest.json", json.dumps(items).encode())
    result = load(store, io.BytesIO(crafted.build()))
    assert result.images[0].id == sha(config)


def test_manifest_trailing_garbage_is_ignored(store: dockyard.Client) -> None:
    item = docker_archive()
    manifest = next(e for e in item.entries if e.name == "manifest.json")
    manifest.data += b"garbage after the array"
    result = load(store, io.BytesIO(item.build()))
    assert result.output == "Loaded image: crafted/img:1\n"


def test_absolute_symlink_in_archive_is_rerooted(store: dockyard.Client) -> None:
    crafted = docker_archive(mutate=_manifest_item(Config="cfg.json"))
    config_name = next(e.name for e in crafted.entries if e.name.endswith(".json")
                       and e.name != "manifest.json")
    crafted.add("cfg.json", kind=tarfile.SYMTYPE, link="/" + config_name)
    result = load(store, io.BytesIO(crafted.build()))
    assert result.images[0].id == "sha256:" + hashlib.sha256(
        next(e.data for e in crafted.entries if e.name == config_name)).hexdigest()


def test_rename_message_when_tag_moves(store: dockyard.Client) -> None:
    old = store.reference_store.get("existing/img:1")
    config = config_for([OTHER])
    result = load(store, io.BytesIO(docker_archive([OTHER], config=config,
                                                   repo_tags=["existing/img:1"]).build()))
    assert result.lines == [
        f"The image existing/img:1 already exists, renaming the old one with ID {old} "
        "to empty string",
        "Loaded image: existing/img:1",
    ]


def test_layer_already_in_store_is_not_read(store: dockyard.Client) -> None:
    """As in Docker: a chain the store has is reused without opening the archive's file."""
    load(store, io.BytesIO(docker_archive(repo_tags=["crafted/one:1"]).build()))
    missing = docker_archive(repo_tags=["crafted/two:1"]).drop("0" * 64 + "/layer.tar")
    result = load(store, io.BytesIO(missing.build()))
    assert result.layers_loaded == 0
    assert result.output == "Loaded image: crafted/two:1\n"
