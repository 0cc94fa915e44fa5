"""The pieces of the template engine: lexer, numbers, strconv, fmt, JSON, types."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dockyard.cli.gotemplate import lex as L
from dockyard.cli.gotemplate.jsonenc import encode_string, marshal
from dockyard.cli.gotemplate.number import new_number
from dockyard.cli.gotemplate.printf import sprintf
from dockyard.cli.gotemplate.strconv import format_float, go_quote, go_unquote, parse_float
from dockyard.cli.gotemplate.types import (
    ANY,
    BYTES,
    FLOAT64,
    INT,
    STRING,
    V,
    assignable,
    dyn,
    map_of,
    slice_of,
    sorted_keys,
)
from dockyard.cli.template import go_struct, render


def _kinds(text: str) -> list[tuple[int, str]]:
    return [(item.typ, item.val) for item in L.lex(text)]


def test_lexer_items_trim_markers_and_comments() -> None:
    assert _kinds("a  {{- .X -}}  b{{/* c */}}") == [
        (L.TEXT, "a"), (L.LEFT_DELIM, "{{"), (L.FIELD, ".X"), (L.RIGHT_DELIM, "}}"),
        (L.TEXT, "b"), (L.EOF, ""),
    ]
    assert _kinds("{{ .X  -}}")[1:4] == [(L.SPACE, " "), (L.FIELD, ".X"), (L.SPACE, " ")]
    items = L.lex('x\n{{$v := "s" | printf `r` 1.5 \'c\' (.A.B)}}')
    assert [i.typ for i in items if i.typ != L.SPACE] == [
        L.TEXT, L.LEFT_DELIM, L.VARIABLE, L.DECLARE, L.STRING, L.PIPE, L.IDENTIFIER,
        L.RAW_STRING, L.NUMBER, L.CHAR_CONSTANT, L.LEFT_PAREN, L.FIELD, L.FIELD,
        L.RIGHT_PAREN, L.RIGHT_DELIM, L.EOF]
    assert items[1].line == 2
    assert items[1].pos == 2


@pytest.mark.parametrize(
    ("text", "error"),
    [("{{.X", "unclosed action"), ("{{/* x", "unclosed comment"), ("{{'a", (
        "unterminated character constant")), ("{{.X €}}", "unrecognized character in action: "
                                              "U+20AC '€'"), ("{{:}}", "expected :="),
     ("{{)}}", "unexpected right paren"), ("{{(.X}}", "unclosed left paren"),
     ("{{.X#}}", "bad character U+0023 '#'")],
)
def test_lexer_errors(text: str, error: str) -> None:
    last = L.lex(text)[-1]
    assert (last.typ, last.val) == (L.ERROR, error)


@pytest.mark.parametrize(
    ("text", "is_int", "is_uint", "is_float", "value"),
    [("42", True, True, True, 42), ("-7", True, False, True, -7), ("2.0", True, True, True, 2),
     ("1.5", False, False, True, 1.5), ("0x1F", True, True, True, 31),
     ("1_000", True, True, True, 1000), ("017", True, True, True, 15),
     ("18446744073709551615", False, True, True, 18446744073709551615),
     ("0x1p4", True, True, True, 16)],
)
def test_numbers_have_every_go_interpretation(text: str, is_int: bool, is_uint: bool,
                                              is_float: bool, value: float) -> None:
    n = new_number(0, text, False, False)
    assert (n.is_int, n.is_uint, n.is_float) == (is_int, is_uint, is_float)
    assert (n.int64 if is_int else n.uint64 if is_uint else n.float64) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [("0x", 'illegal number syntax: "0x"'), ("08", 'integer overflow: "08"'),
     ("1e400", 'illegal number syntax: "1e400"'), ("1__0", 'illegal number syntax: "1__0"')],
)
def test_number_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        new_number(0, text, False, False)


def test_char_and_complex_constants() -> None:
    assert new_number(0, "'\\n'", True, False).int64 == 10
    with pytest.raises(ValueError, match="malformed character constant: 'ab'"):
        new_number(0, "'ab'", True, False)
    c = new_number(0, "1+2i", False, True)
    assert (c.is_complex, c.complex128, c.is_float) == (True, 1 + 2j, False)


@pytest.mark.parametrize(
    ("literal", "value"),
    [('"a\\tb"', "a\tb"), ('"\\x41\\101\\u00e9\\U0001F600"', "AAé😀"), ("`a\\n\r`", "a\\n"),
     ('"\\xff"', "\udcff"), ('""', "")],
)
def test_unquote(literal: str, value: str) -> None:
    assert go_unquote(literal) == value


@pytest.mark.parametrize("literal", ['"\\q"', '"\\x4"', '"\\400"', '"\\ud800"', "'a'", '"a'])
def test_unquote_rejects(literal: str) -> None:
    with pytest.raises(ValueError, match="invalid syntax"):
        go_unquote(literal)


def test_quote() -> None:
    assert go_quote('é\x01\n"\\\u2028\udcff') == '"é\\x01\\n\\"\\\\\\u2028\\xff"'
    assert go_quote("é", ascii_only=True) == '"\\u00e9"'


@pytest.mark.parametrize(
    ("value", "verb", "prec", "text"),
    [(1e6, "g", -1, "1e+06"), (123456.0, "g", -1, "123456"), (1e-5, "g", -1, "1e-05"),
     (0.0001, "g", -1, "0.0001"), (1e21, "f", -1, "1000000000000000000000"),
     (2.5, "e", 1, "2.5e+00"), (255.0, "x", -1, "0x1.fep+07"), (1.0, "b", -1,
                                                               "4503599627370496p-52"),
     (float("inf"), "g", -1, "+Inf"), (-0.0, "g", -1, "-0"), (0.1, "X", -1,
                                                            "0X1.999999999999AP-04")],
)
def test_format_float(value: float, verb: str, prec: int, text: str) -> None:
    assert format_float(value, verb, prec) == text


def test_parse_float_follows_go_syntax() -> None:
    assert parse_float("1_0.5") == 10.5
    assert parse_float("0x1.8p1") == 3.0
    assert parse_float("0x1.8") is None  # a hex float needs its exponent
    assert parse_float("inf") is None


def test_sprintf_error_forms() -> None:
    args = [V(1, INT), V("s", STRING)]
    assert sprintf("%[2]s %[1]d %[3]d", args) == "s 1 %!d(BADINDEX)"
    assert sprintf("%*d|%.*f", [V(4, INT), V(7, INT), V(1, INT), V(2.25, FLOAT64)]) == (
        "   7|2.2")
    assert sprintf("%d %", args) == "1 %!(NOVERB)%!(EXTRA string=s)"
    assert sprintf("%!", []) == "%!!(MISSING)"


def test_json_encoding() -> None:
    assert encode_string("<&>\u2028", escape_html=True) == '"\\u003c\\u0026\\u003e\\u2028"'
    assert encode_string("\udcff") == '"\\ufffd"'
    assert marshal(V(None, slice_of(STRING))) == "null"
    assert marshal(V([], slice_of(STRING))) == "[]"
    assert marshal(V(b"hi", BYTES)) == '"aGk="'
    assert marshal(dyn(1e21)) == "1e+21"
    assert marshal(V({"b": 1, "a": None}, map_of(STRING, ANY))) == '{"a":null,"b":1}'


def test_types_and_assignability() -> None:
    named = slice_of(STRING, "strslice.StrSlice")
    assert assignable(named, slice_of(STRING))
    assert not assignable(STRING, map_of(STRING, STRING))
    assert assignable(STRING, ANY)
    assert sorted_keys({1: "a", "b": 2}) == [1, "b"]
    assert render("{{json .}} {{.}}", go_struct({"z": 1, "a": "x"})) == '{"z":1,"a":"x"} {1 x}'


def test_import_is_light() -> None:
    code = ("import sys, dockyard.cli.template; "
            "print(sorted(m for m in ('decimal', 'base64', 'inspect', 'dataclasses', "
            "'datetime') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
