"""Daemon lookup rules and the filter/glob helpers."""

from __future__ import annotations

import pytest

import dockyard
from dockyard.errors import ImageNotFound, InvalidArgumentError, InvalidReference
from dockyard.service.filters import FilterArgs, InvalidFilter, PatternError, go_path_match
from dockyard.service.lookup import resolve_image, short_id
from tests.unit.service.builder import Builder


def test_ids_names_and_prefixes(svc: dockyard.Client, build: Builder):
    image_id = build.image([{"a": b"1"}], tags=("app:1", "app"))
    assert resolve_image(svc, str(image_id)) == image_id
    assert resolve_image(svc, image_id.hex) == image_id
    assert resolve_image(svc, image_id.hex[:3]) == image_id
    assert resolve_image(svc, "sha256:" + image_id.hex[:3]) == image_id
    assert resolve_image(svc, "app") == image_id
    assert resolve_image(svc, "docker.io/library/app:1") == image_id
    assert short_id(image_id) == image_id.hex[:12]


def test_not_found_texts(svc: dockyard.Client, build: Builder):
    build.image([{"a": b"1"}])
    missing = "f" * 64
    cases = {
        "ghost": "No such image: ghost:latest",
        "ghost:2": "No such image: ghost:2",
        missing: f"No such image: sha256:{missing}",
        f"sha256:{missing}": f"No such image: sha256:{missing}",
        f"x@sha256:{missing}": f"No such image: x@sha256:{missing}",
    }
    for text, message in cases.items():
        with pytest.raises(ImageNotFound) as info:
            resolve_image(svc, text)
        assert str(info.value) == message


def test_ambiguous_prefix_is_not_found_with_latest(svc: dockyard.Client, build: Builder):
    ids = [
        build.image([{"a": bytes([i])}], created=f"2026-01-0{i + 1}T00:00:00Z") for i in range(8)
    ]
    first = {i.hex[0] for i in ids}
    shared = next(c for c in first if sum(i.hex[0] == c for i in ids) > 1)
    with pytest.raises(ImageNotFound) as info:
        resolve_image(svc, shared)
    assert str(info.value) == f"No such image: {shared}:latest"
    with pytest.raises(ImageNotFound, match=f"No such image: sha256:{shared}$"):
        resolve_image(svc, f"sha256:{shared}")


def test_invalid_reference(svc: dockyard.Client):
    with pytest.raises(
        InvalidReference, match=r"repository name \(library/ABC\) must be lowercase"
    ):
        resolve_image(svc, "ABC")


def test_filter_args():
    args = FilterArgs({"dangling": True, "label": ["a=1", "b"], "reference": "x", "m": {"v": True}})
    assert args.get_bool("dangling", False) is True
    assert args.get("label") == ["a=1", "b"]
    assert args.get("m") == ["v"]
    assert args.match_kv_list("label", {"a": "1", "b": "2"})
    assert not args.match_kv_list("label", {"a": "2", "b": "2"})
    assert not args.match_kv_list("label", None)
    assert args.match_kv_list("nothing", None)
    with pytest.raises(InvalidFilter, match=r"^invalid filter 'm'$"):
        args.validate({"dangling", "label", "reference"})
    with pytest.raises(InvalidFilter, match=r"^invalid filter 'd=\[maybe\]'$"):
        FilterArgs({"d": "maybe"}).get_bool("d", False)
    with pytest.raises(InvalidFilter, match=r"^invalid filter 'd=\[0 true\]'$"):
        FilterArgs({"d": ["true", "0"]}).get_bool("d", False)
    assert FilterArgs({"d": ["true", "1"]}).get_bool("d", False) is True
    with pytest.raises(InvalidFilter, match=r"^invalid filter 'd=\[TRUE\]'$"):
        FilterArgs({"d": "TRUE"}).get_bool("d", False)  # Go's test is case-sensitive
    assert FilterArgs({"d": ["true", "false"]}).get_exact_bool("d", False) is True
    assert FilterArgs({"d": ["false", "x"]}).get_exact_bool("d", True) is False
    with pytest.raises(InvalidFilter, match=r"^invalid filter 'd=\[1\]'$"):
        FilterArgs({"d": "1"}).get_exact_bool("d", False)
    assert isinstance(InvalidFilter("x"), InvalidArgumentError)


@pytest.mark.parametrize(
    ("pattern", "name", "matched"),
    [
        ("app", "app", True),
        ("a*", "app", True),
        ("*", "team/app", False),
        ("*/*", "team/app", True),
        ("team/*:1", "team/app:1", True),
        ("a?p", "app", True),
        ("a?p", "a/p", False),
        ("[a-c]pp", "bpp", True),
        ("[^a-c]pp", "bpp", False),
        ("\\*", "*", True),
        ("*x", "abx", True),
        ("*x", "ab", False),
        ("a*b*c", "aXbYc", True),
    ],
)
def test_go_path_match(pattern: str, name: str, matched: bool):
    assert go_path_match(pattern, name) is matched


@pytest.mark.parametrize("pattern", ["[", "a[", "[]", "\\", "[a-", "x*[z"])
def test_go_path_match_bad_patterns(pattern: str):
    with pytest.raises(PatternError, match=r"^syntax error in pattern$"):
        go_path_match(pattern, "abc")
