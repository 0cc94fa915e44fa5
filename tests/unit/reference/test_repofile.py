"""repositories.json bytes: Go's json.Marshal output and json.Decoder leniency."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import FormatError
from dockyard.reference import InvalidReferenceStore
from dockyard.reference._repofile import Repositories, copy_repositories, decode, encode

FILE = Path("repositories.json")
ID = "sha256:" + "ab" * 32


def test_encode_is_compact_sorted_without_newline() -> None:
    repos: Repositories = {"b": {"b:2": ID, "b:1": ID}, "a": {"a:1": ID}}
    assert encode(repos) == (
        b'{"Repositories":{"a":{"a:1":"' + ID.encode() + b'"},'
        b'"b":{"b:1":"' + ID.encode() + b'","b:2":"' + ID.encode() + b'"}}}'
    )


def test_encode_empty_and_null_repository() -> None:
    assert encode({}) == b'{"Repositories":{}}'
    assert encode({"n": None}) == b'{"Repositories":{"n":null}}'


def test_encode_uses_go_html_escaping_and_raw_utf8() -> None:
    data = encode({"a<b>&\u2028\u2029é\n\x01\x7f": {}})
    assert data == (
        b'{"Repositories":{"a\\u003cb\\u003e\\u0026\\u2028\\u2029'
        + "é".encode()
        + b'\\n\\u0001\x7f":{}}}'
    )


def test_encode_sorts_by_code_point_like_go_bytes() -> None:
    data = encode({"é": {}, "z": {}, "Z": {}, "\U0001f600": {}, "\uffff": {}})
    text = data.decode()
    order = [text.index(f'"{k}"') for k in ("Z", "z", "é", "\uffff", "\U0001f600")]
    assert order == sorted(order)


def test_decode_round_trip() -> None:
    data = b'{"Repositories":{"a":{"a:1":"' + ID.encode() + b'"},"n":null,"e":{}}}'
    assert decode(data, FILE) == {"a": {"a:1": ID}, "n": None, "e": {}}


def test_decode_is_lenient_like_go() -> None:
    # Leading whitespace, trailing data after the first value, unknown keys,
    # case-insensitive field name, null reference value.
    data = b' \n{"repositories":{"a":{"a:1":null}},"Other":1} trailing garbage'
    assert decode(data, FILE) == {"a": {"a:1": ""}}
    assert decode(b"null", FILE) == {}
    assert decode(b"{}", FILE) == {}


def test_decode_merges_repeated_top_level_keys() -> None:
    data = b'{"Repositories":{"a":{}},"REPOSITORIES":{"b":{}},"Repositories":{"a":null}}'
    assert decode(data, FILE) == {"a": None, "b": {}}


def test_decode_replaces_invalid_text_like_go() -> None:
    data = b'{"Repositories":{"\xff":{"\\ud800":"x"}}}'
    assert decode(data, FILE) == {"\ufffd": {"\ufffd": "x"}}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   ",
        b"{",
        b"[]",
        b'"text"',
        b"1",
        b'{"Repositories":[]}',
        b'{"Repositories":{"a":[]}}',
        b'{"Repositories":{"a":"x"}}',
        b'{"Repositories":{"a":{"a:1":1}}}',
        b'{"Repositories":{"a":{"a:1":NaN}}}',
    ],
)
def test_decode_rejects_bad_content(data: bytes) -> None:
    with pytest.raises(InvalidReferenceStore) as info:
        decode(data, Path("/some/where/repositories.json"))
    assert isinstance(info.value, FormatError)
    assert "/some/where/repositories.json" in str(info.value)


def test_copy_repositories_is_independent() -> None:
    original: Repositories = {"a": {"a:1": ID}, "n": None}
    copied = copy_repositories(original)
    inner = copied["a"]
    assert inner is not None
    inner["a:2"] = ID
    assert original == {"a": {"a:1": ID}, "n": None}
