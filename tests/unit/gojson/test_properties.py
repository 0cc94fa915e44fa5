from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from dockyard.gojson import Compat, GoTime, Struct, encode, parse_first, unmarshal

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
compats = st.sampled_from(list(Compat))


@given(json_values, compats)
def test_round_trip_through_python_json(value, compat):
    assert json.loads(encode(value, compat)) == value


@given(json_values, compats)
def test_round_trip_through_own_decoder(value, compat):
    assert unmarshal(encode(value, compat)) == value


@given(st.text(), compats)
def test_escaping_is_html_safe(text, compat):
    out = encode(text, compat)
    for forbidden in (b"<", b">", b"&", "\u2028".encode(), "\u2029".encode()):
        assert forbidden not in out
    assert not any(byte < 0x20 for byte in out)


@given(st.dictionaries(st.text(max_size=8), st.integers(), max_size=8))
def test_map_keys_sorted_by_utf8_bytes(mapping):
    keys = list(json.loads(encode(mapping), object_pairs_hook=lambda p: [k for k, _ in p]))
    assert keys == sorted(mapping, key=lambda k: k.encode("utf-8", "surrogatepass"))


@given(st.lists(st.tuples(st.text(max_size=5), st.integers()), max_size=6))
def test_struct_keeps_declaration_order(pairs):
    keys = json.loads(encode(Struct(pairs)), object_pairs_hook=lambda p: [k for k, _ in p])
    assert keys == [k for k, _ in pairs]


@given(
    st.integers(min_value=-62135596800, max_value=253402300799),
    st.integers(min_value=0, max_value=999_999_999),
    st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda m: m * 60),
)
def test_time_format_parse_round_trip(seconds, nanos, offset):
    t = GoTime(seconds, nanos, offset)
    try:
        text = t.format()
    except ValueError:
        return  # local year outside 0..9999
    back = GoTime.parse(text)
    assert back == t
    assert back.offset == offset
    assert back.format() == text
    frac = text[19:].split("Z")[0].split("+")[0].split("-")[0]
    assert not frac.endswith("0")


@given(json_values, st.binary(max_size=10))
def test_decode_first_ignores_anything_after_a_container(value, tail):
    data = encode([value]) + tail
    assert parse_first(data)[0] is not None
