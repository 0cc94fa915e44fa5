from __future__ import annotations

import posixpath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockyard.archive.tarpath import (
    clean_archive_path,
    clean_member_name,
    go_clean,
    resolve_in_archive,
)
from dockyard.errors import InvalidArchive, UnsafeArchivePath


@pytest.mark.parametrize(
    ("path", "cleaned"),
    [
        ("", "."),
        (".", "."),
        ("./a//b/./c/", "a/b/c"),
        ("a/../../b", "../b"),
        ("/../a", "/a"),
        ("//a", "/a"),
        ("a/b/..", "a"),
        ("../../x/..", "../.."),
    ],
)
def test_go_clean(path: str, cleaned: str) -> None:
    assert go_clean(path) == cleaned


@pytest.mark.parametrize(
    ("raw", "name"),
    [("./a", "a"), ("a/", "a"), ("./", "."), ("a/./b//c", "a/b/c"), ("a/../b", "b")],
)
def test_clean_member_name(raw: str, name: str) -> None:
    assert clean_member_name(raw) == name


@pytest.mark.parametrize("raw", ["/a", "../a", "a/../..", "a\x00b", "//a"])
def test_clean_member_name_refuses(raw: str) -> None:
    with pytest.raises(UnsafeArchivePath):
        clean_member_name(raw)


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("../../etc/passwd", "../../etc/passwd"),
        ("a/../../x", "../x"),
        ("/../x", "../x"),
        ("..", ".."),
    ],
)
def test_metadata_paths_outside_the_root(path: str, shown: str) -> None:
    message = f"evalSymlinksInScope: {shown} is not in /"
    with pytest.raises(UnsafeArchivePath) as info:
        clean_archive_path(path)
    assert str(info.value) == message
    with pytest.raises(UnsafeArchivePath) as info:
        resolve_in_archive(path, {})
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("path", "links", "resolved"),
    [
        ("manifest.json", {}, "manifest.json"),
        ("/etc/hostname", {}, "etc/hostname"),
        ("", {}, "."),
        ("/", {}, "."),
        ("l/../z", {"l": "x/y"}, "z"),  # cleaned lexically before links are followed
        ("b/layer.tar", {"b/layer.tar": "../a/layer.tar"}, "a/layer.tar"),
        ("a/layer.tar", {"a/layer.tar": "/blobs/sha256/x"}, "blobs/sha256/x"),
        ("s", {"s": "/etc/passwd"}, "etc/passwd"),
        ("s", {"s": "../../../etc/shadow"}, "etc/shadow"),
        ("d/f", {"d": "real"}, "real/f"),
        ("d/l/f", {"d/l": "../e"}, "e/f"),
        ("a", {"a": "b", "b": "c"}, "c"),
        ("a", {"a": "d/", "d": "//e/./f"}, "e/f"),
        ("x/y", {"x": "."}, "y"),
    ],
)
def test_resolve_in_archive(path: str, links: dict[str, str], resolved: str) -> None:
    assert resolve_in_archive(path, links) == resolved


@pytest.mark.parametrize("links", [{"a": "b", "b": "a"}, {"a": "a"}, {"a": "a/x"}])
def test_symlink_loops(links: dict[str, str]) -> None:
    with pytest.raises(InvalidArchive, match=r"^evalSymlinksInScope: too many links in /a$"):
        resolve_in_archive("a", links)


def test_component_limit_counts_every_component() -> None:
    assert resolve_in_archive("/".join(["c"] * 255), {}).count("/") == 254
    with pytest.raises(InvalidArchive, match="too many links"):
        resolve_in_archive("/".join(["c"] * 300), {})


_parts = st.sampled_from(["a", "b", "c", "..", ".", ""])
_paths = st.lists(_parts, max_size=6).map("/".join)
_targets = st.tuples(st.booleans(), _paths).map(lambda t: ("/" if t[0] else "") + t[1])


@given(path=_paths, links=st.dictionaries(st.sampled_from(["a", "b", "a/b", "c/a"]), _targets))
def test_resolution_never_leaves_the_root(path: str, links: dict[str, str]) -> None:
    if go_clean(path.lstrip("/")).startswith(".."):
        with pytest.raises(UnsafeArchivePath):
            resolve_in_archive(path, links)
        return
    try:
        resolved = resolve_in_archive(path, links)
    except InvalidArchive as exc:
        message = str(exc)
        resolved = ""
    else:
        message = ""
    if message:
        assert "too many links" in message
        return
    assert not resolved.startswith("/")
    assert resolved == "." or ".." not in resolved.split("/")
    assert go_clean(resolved) == resolved


@given(path=st.text(alphabet="ab./", max_size=20))
def test_go_clean_is_idempotent_and_agrees_with_normpath(path: str) -> None:
    cleaned = go_clean(path)
    assert go_clean(cleaned) == cleaned
    if not path.startswith("//"):
        assert cleaned == posixpath.normpath(path or ".")
