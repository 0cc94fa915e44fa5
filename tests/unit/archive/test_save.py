"""``save``: name resolution, Docker's error messages, outputs, verification, progress."""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import dockyard
from dockyard.archive.names import NoSuitablePlatform, resolve_names
from dockyard.archive.save import EmptyExport, SaveFormat, save
from dockyard.compression import Compression
from dockyard.digest import ChainID, Digest, ImageID
from dockyard.errors import (
    AmbiguousID,
    ImageNotFound,
    InvalidReference,
    LayerVerificationError,
    ReferenceNotFound,
    UnsupportedOS,
)
from dockyard.progress import Progress


def layer_tar(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def config(
    diff_ids: list[str], created: str | None = None, os_name: str = "linux", **kw: str
) -> bytes:
    doc: dict[str, object] = {"architecture": "amd64", "os": os_name}
    if created is not None:
        doc["created"] = created
    doc.update(kw)
    doc["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


class Store:
    """A small store: images ``one`` (tags 1, latest, and a digest), ``two``, ``empty``."""

    def __init__(self, root: Path) -> None:
        self.client = dockyard.open(root)
        self.base = self.register([b"base"])
        self.one = self.image(["base", "one"], created="2024-01-02T03:04:05.5Z", env="ONE")
        self.two = self.image(["base", "two"], env="TWO")
        self.empty = ImageID(self.client.image_store.create(config([])))
        refs = self.client.reference_store
        refs.add_tag("test/one:1", self.one)
        refs.add_tag("test/one:latest", self.one)
        refs.add_tag("other/two:x", self.two)
        refs.add_digest("test/one@sha256:" + "d" * 64, self.one)
        refs.add_tag("test/empty:1", self.empty)

    def register(self, contents: list[bytes]) -> list[str]:
        diff_ids = []
        parent: ChainID | None = None
        for content in contents:
            layer = self.client.layer_store.register(io.BytesIO(layer_tar("f", content)), parent)
            diff_ids.append(str(layer.diff_id))
            parent = layer.chain_id
            self.client.layer_store.release(layer)
        return diff_ids

    def image(self, contents: list[str], created: str | None = None, env: str = "") -> ImageID:
        handles = []
        parent: ChainID | None = None
        for content in contents:
            layer = self.client.layer_store.register(
                io.BytesIO(layer_tar("f", content.encode())), parent
            )
            handles.append(layer)
            parent = layer.chain_id
        raw = config([str(h.diff_id) for h in handles], created, comment=env)
        image_id = ImageID(self.client.image_store.create(raw))
        for handle in handles:
            self.client.layer_store.release(handle)
        return image_id


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "store")
    yield s
    s.client.close()


# --- name resolution --------------------------------------------------------------------


def tags(store: Store, names: list[str]) -> list[tuple[str, list[str]]]:
    with store.client.view() as view:
        return [(i.image_id, i.repo_tags) for i in resolve_names(view, names)]


def test_names_by_id_prefix_tag_and_repository(store: Store) -> None:
    one, two = store.one, store.two
    assert tags(store, [one]) == [(one, [])]
    assert tags(store, [one.hex]) == [(one, [])]
    assert tags(store, [f"sha256:{one.hex[:10]}"]) == [(one, [])]
    assert tags(store, [one.hex[:12]]) == [(one, [])]
    assert tags(store, ["test/one"]) == [(one, ["test/one:1", "test/one:latest"])]
    assert tags(store, ["test/one:latest", "other/two:x", "test/one"]) == [
        (one, ["test/one:latest", "test/one:1"]),
        (two, ["other/two:x"]),
    ]
    assert tags(store, ["test/one@sha256:" + "d" * 64]) == [(one, [])]
    assert tags(store, ["docker.io/test/one:1", one]) == [(one, ["test/one:1"])]


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("", InvalidReference, "invalid reference format"),
        ("a b", InvalidReference, "invalid reference format"),
        (
            "test/One",
            InvalidReference,
            "invalid reference format: repository name (test/One) must be lowercase",
        ),
        ("test/one:2", ReferenceNotFound, "reference does not exist"),
        ("test/one@sha256:" + "e" * 64, ReferenceNotFound, "reference does not exist"),
        ("nothing", ImageNotFound, "No such image: nothing"),
        ("sha256:0000", ImageNotFound, "No such image: sha256:0000"),
        ("sha256:" + "0" * 64, ImageNotFound, "No such image: sha256:" + "0" * 64),
    ],
)
def test_name_errors_use_dockers_wording(
    store: Store, name: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info, store.client.view() as view:
        resolve_names(view, [name])
    assert str(info.value) == message


def test_ambiguous_prefix(store: Store) -> None:
    ids = [i.hex for i in store.client.image_store.ids()]
    while True:
        prefixes = [i[0] for i in ids]
        common = next((p for p in prefixes if prefixes.count(p) > 1), None)
        if common is not None:
            break
        raw = config([], comment=str(len(ids)))
        ids.append(store.client.image_store.create(raw).hex)
    with (
        pytest.raises(AmbiguousID, match=r"^ambiguous digest string$"),
        store.client.view() as view,
    ):
        resolve_names(view, [f"sha256:{common}"])


def test_foreign_os_and_platform(store: Store) -> None:
    windows = store.client.image_store.create(config([], os_name="windows"))
    with pytest.raises(UnsupportedOS, match=r'^os "windows" is not supported$'):
        _resolve(store, [windows])
    with pytest.raises(NoSuitablePlatform, match=r"^no suitable export target found for platform"):
        _resolve(store, ["test/one:1"], platform="linux/arm64")
    assert len(_resolve(store, ["test/one:1"], platform="linux/amd64")) == 1


def _resolve(store: Store, names: list[str], platform: str | None = None) -> list[object]:
    with store.client.view() as view:
        return list(resolve_names(view, names, platform=platform))


# --- save errors leave nothing behind ---------------------------------------------------


def test_empty_image_cannot_be_saved(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "out.tar"
    with pytest.raises(EmptyExport, match=r"^empty export - not implemented$"):
        save(store.client, ["test/one:1", "test/empty:1"], out)
    assert list(tmp_path.iterdir()) == [tmp_path / "store"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"names": []}, "requires at least one image name"),
        ({"layer_compression": Compression.GZIP}, "only supported by the oci formats"),
        (
            {"format": SaveFormat.OCI, "layer_compression": Compression.XZ},
            "has no OCI media type",
        ),
        ({"format": "tarball"}, "tarball"),
    ],
)
def test_invalid_options(
    store: Store, tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"names": ["test/one:1"], **kwargs}
    names = args.pop("names")
    with pytest.raises(ValueError, match=message):
        save(store.client, names, tmp_path / "out.tar", **args)  # type: ignore[arg-type]
    assert not (tmp_path / "out.tar").exists()


def corrupt(store: Store, image_id: ImageID) -> None:
    img = store.client.image_store.get(image_id)
    assert img.rootfs is not None
    chain = img.rootfs.chain_id()
    assert chain is not None
    path = store.client.layer_store.payload_path(ChainID(Digest(chain)))
    data = bytearray(path.read_bytes())
    data[600] ^= 1
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("fmt", list(SaveFormat))
@pytest.mark.parametrize("compress", [Compression.NONE, Compression.GZIP])
def test_tampered_layer_fails_and_leaves_no_output(
    store: Store, tmp_path: Path, fmt: SaveFormat, compress: Compression
) -> None:
    if fmt is SaveFormat.OCI_DIR and compress is not Compression.NONE:
        pytest.skip("oci-dir is never compressed")
    corrupt(store, store.one)
    out = tmp_path / "out"
    with pytest.raises(LayerVerificationError, match=r"^could not verify layer data for: sha256:"):
        save(store.client, ["test/one:1"], out, format=fmt, compress=compress)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]
    # the other image, sharing only the intact base layer, still saves
    save(store.client, ["other/two:x"], out, format=fmt, compress=compress)


def test_tampered_layer_to_a_stream_leaves_no_end_of_archive(store: Store) -> None:
    complete = io.BytesIO()
    save(store.client, ["test/one:1"], complete)
    corrupt(store, store.one)
    buffer = io.BytesIO()
    with pytest.raises(LayerVerificationError):
        save(store.client, ["test/one:1"], buffer)
    assert len(buffer.getvalue()) < len(complete.getvalue())


# --- outputs, references, progress ------------------------------------------------------


class Pipe:
    """A write-only, non-seekable stream without a file descriptor."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("fmt", [SaveFormat.DOCKER, SaveFormat.DOCKER_LEGACY, SaveFormat.OCI])
def test_path_stream_and_pipe_outputs_are_identical(
    store: Store, tmp_path: Path, fmt: SaveFormat
) -> None:
    names = ["test/one", store.two]
    out = tmp_path / "out.tar"
    result = save(store.client, names, out, format=fmt)
    pipe = Pipe()
    save(store.client, names, pipe, format=fmt)  # type: ignore[arg-type]
    with open(tmp_path / "other.tar", "wb") as fileobj:
        save(store.client, names, fileobj, format=fmt)
    data = out.read_bytes()
    assert b"".join(pipe.chunks) == data == (tmp_path / "other.tar").read_bytes()
    assert result.bytes_written == len(data)
    assert [i.image_id for i in result.images] == [store.one, store.two]
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_layer_references_are_released(store: Store, tmp_path: Path) -> None:
    before = {c: i.ref_count for c, i in store.client.layer_store.map().items()}
    save(store.client, ["test/one", "other/two"], tmp_path / "out.tar")
    after = {c: i.ref_count for c, i in store.client.layer_store.map().items()}
    assert before == after


def test_progress_reports_each_layer_once_done(store: Store) -> None:
    events: list[Progress] = []
    save(store.client, ["test/one", "other/two"], io.BytesIO(), progress=events.append)
    done = [e for e in events if e.done]
    img = store.client.image_store.get(store.one)
    assert img.rootfs is not None
    two = store.client.image_store.get(store.two)
    assert two.rootfs is not None
    diff_ids = {*img.rootfs.diff_ids, *two.rootfs.diff_ids}
    assert sorted(e.item for e in done) == sorted(d.hex[:12] for d in diff_ids)
    assert {e.action for e in events} == {"Saving layer"}
    assert len(done) == 3  # base, one, two: the shared base layer is written once
    assert done[-1].overall_current == done[-1].overall_total


def test_legacy_mtimes_follow_created_and_epoch(store: Store) -> None:
    buffer = io.BytesIO()
    save(store.client, ["test/one:1", "other/two:x"], buffer, format=SaveFormat.DOCKER_LEGACY)
    with tarfile.open(fileobj=io.BytesIO(buffer.getvalue())) as tar:
        mtimes = {m.name: m.mtime for m in tar.getmembers()}
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert mtimes[f"{store.one.hex}.json"] == 1704164645  # 2024-01-02T03:04:05.5Z, truncated
    assert mtimes[f"{store.two.hex}.json"] == 0  # no created: the epoch
    assert mtimes["manifest.json"] == mtimes["repositories"] == 0
    assert manifest[1]["RepoTags"] == ["other/two:x"]
