from __future__ import annotations

import json

import pytest

from dockyard.errors import FormatError
from dockyard.gojson import Compat, GoTime, JSONError, RawMessage, Struct, encode, is_empty


def test_spec_example_html_escaping_keeps_non_ascii_raw():
    assert encode(["a && b <c>", "é"]) == '["a \\u0026\\u0026 b \\u003cc\\u003e","é"]'.encode()


def test_compact_separators_and_no_newline():
    assert encode({"b": [1, 2], "a": {"x": None}}) == b'{"a":{"x":null},"b":[1,2]}'


@pytest.mark.parametrize(
    ("compat", "expected"),
    [(Compat.V28, b'"\\b\\f"'), (Compat.V20_10, b'"\\u0008\\u000c"')],
)
def test_backspace_formfeed_depend_on_go_version(compat, expected):
    assert encode("\b\f", compat) == expected


def test_control_characters_and_short_escapes():
    assert encode('\n\r\t"\\\x01\x1f\x7f') == b'"\\n\\r\\t\\"\\\\\\u0001\\u001f\x7f"'


def test_line_separators_escaped():
    assert encode("\u2028x\u2029") == b'"\\u2028x\\u2029"'


def test_invalid_utf8_becomes_replacement_per_byte():
    assert encode(b"a\xffb\xe2\x82") == b'"a\\ufffdb\\ufffd\\ufffd"'
    assert encode("x\udcff") == b'"x\\ufffd"'


def test_map_keys_sorted_by_byte_order_struct_keeps_order():
    assert encode({"b": 1, "B": 2, "a": 3, "é": 4}) == '{"B":2,"a":3,"b":1,"é":4}'.encode()
    assert encode(Struct([("b", 1), ("a", 2)])) == b'{"b":1,"a":2}'
    assert encode(Struct([("b", 1), ("a", 2)]).sorted()) == b'{"a":2,"b":1}'


def test_struct_omitempty_follows_go():
    s = Struct().add("a", "", omitempty=True).add("b", 0, omitempty=True)
    s.add("c", [], omitempty=True).add("d", Struct(), omitempty=True).add("e", "", omitempty=False)
    assert encode(s) == b'{"d":{},"e":""}'
    assert is_empty(False)
    assert is_empty({})
    assert not is_empty(GoTime.zero())


def test_raw_message_is_compacted_and_escaped():
    raw = RawMessage(b' { "a" : "<&>\xe2\x80\xa8" ,\n "b" : [ 1 , 2.50 ] , "c":"\\u00e9 \\" " } ')
    assert (
        encode({"r": raw})
        == b'{"r":{"a":"\\u003c\\u0026\\u003e\\u2028","b":[1,2.50],"c":"\\u00e9 \\" "}}'
    )
    assert encode(RawMessage(b"")) == b"null"


def test_invalid_raw_message_is_an_error():
    with pytest.raises(JSONError):
        encode(RawMessage(b"{nope"))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (-0.0, "-0"),
        (0.1, "0.1"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (123456789.125, "123456789.125"),
    ],
)
def test_floats_like_go(value, text):
    assert encode(value) == text.encode()


def test_unsupported_values_raise_format_error():
    with pytest.raises(FormatError, match="unsupported value: NaN"):
        encode(float("nan"))
    with pytest.raises(JSONError):
        encode({1: "x"})
    with pytest.raises(JSONError):
        encode(object())


def test_gotime_encodes_as_rfc3339_string():
    t = GoTime.parse("2024-01-02T03:04:05.100+02:00")
    assert encode([t]) == b'["2024-01-02T03:04:05.1+02:00"]'


def test_output_is_parseable_by_python():
    value = {"k<": ["v&", 1, True, None, {"x": "\u2028"}]}
    assert json.loads(encode(value)) == value
