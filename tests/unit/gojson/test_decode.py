from __future__ import annotations

import pytest

from dockyard.errors import FormatError
from dockyard.gojson import (
    JSONError,
    JSONObject,
    decode_first,
    parse,
    parse_first,
    raw_members,
    unmarshal,
)
from dockyard.gojson.fields import FieldMatcher, fold_name


def test_duplicate_keys_last_wins_and_pairs_kept():
    assert unmarshal(b'{"a":1,"b":2,"a":3}') == {"a": 3, "b": 2}
    tree = parse(b'{"a":1,"a":3}')
    assert isinstance(tree, JSONObject)
    assert list(tree) == [("a", 1), ("a", 3)]


def test_numbers_ints_and_floats():
    assert unmarshal(b"[0,-5,1.5,1e3,-0]") == [0, -5, 1.5, 1000.0, 0]
    assert isinstance(unmarshal(b"1e3"), float)


def test_strings_escapes_and_surrogates():
    assert unmarshal(rb'"\u00e9\n\/\ud83d\ude00"') == "é\n/😀"
    assert unmarshal(rb'"\ud800x"') == "\ufffdx"
    assert unmarshal(b'"a\xffb"') == "a\ufffdb"
    assert unmarshal(b'"\xe2\x82"') == "\ufffd\ufffd"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "unexpected end of JSON input"),
        (b'{"a":}', "invalid character '}' looking for beginning of value"),
        (b'{"a" 1}', "invalid character '1' after object key"),
        (b'{"a":1 "b"}', "invalid character '\"' after object key:value pair"),
        (b"[1 2]", "invalid character '2' after array element"),
        (b"{1:2}", "invalid character '1' looking for beginning of object key string"),
        (b'"a\nb"', "invalid character '\\n' in string literal"),
        (b'"\\q"', "invalid character 'q' in string escape code"),
        (b'"\\u12x4"', "invalid character 'x' in \\u hexadecimal character escape"),
        (b"tru", "unexpected end of JSON input"),
        (b"trux", "invalid character 'x' in literal true (expecting 'e')"),
        (b"01", "invalid character '1' after top-level value"),
        (b"1.x", "invalid character 'x' after decimal point in numeric literal"),
        (b"{} x", "invalid character 'x' after top-level value"),
    ],
)
def test_syntax_errors_use_go_wording(data, message):
    with pytest.raises(JSONError) as info:
        parse(data)
    assert str(info.value) == message
    assert isinstance(info.value, FormatError)


def test_decode_first_ignores_trailing_data():
    assert decode_first(b' [1, {"a": 2}] trailing garbage') == [1, {"a": 2}]
    value, end = parse_first(b"{}   {}")
    assert value == JSONObject()
    assert end == 2


def test_decode_first_eof_errors():
    with pytest.raises(JSONError, match=r"^EOF$"):
        decode_first(b"  \n")
    with pytest.raises(JSONError, match=r"^unexpected EOF$"):
        decode_first(b'[{"a":')


def test_deep_nesting_is_refused_cleanly():
    """Go's limit (10,000 levels) and message, without recursion in Python."""
    with pytest.raises(JSONError, match=r"^invalid character '\[' exceeded max depth$"):
        parse(b"[" * 10001 + b"]" * 10001)
    assert parse_first(b"[" * 10000 + b"]" * 10000)[1] == 20000


def test_raw_members_keep_original_spelling():
    members = raw_members(b'{"a" : {"z":1, "y":"\\u00e9"}, "b":1.50,"a":2}')
    assert members == [("a", b'{"z":1, "y":"\\u00e9"}'), ("b", b"1.50"), ("a", b"2")]
    assert raw_members(b"null") is None
    with pytest.raises(JSONError, match="cannot unmarshal array"):
        raw_members(b"[]")


def test_field_matching_exact_then_case_insensitive():
    matcher = FieldMatcher(["rootfs", "Size", "size2"])
    assert matcher.match("ROOTFS") == "rootfs"
    assert matcher.match("size") == "Size"
    assert matcher.match("\u017fize") == "Size"  # long s folds to S, as in Go
    assert matcher.match("unknown") is None
    both = FieldMatcher(["Size", "size"])
    assert both.match("size") == "size"
    assert both.match("SIZE") == "Size"
    assert fold_name("Kelvin\u212a") == "KELVINK"
