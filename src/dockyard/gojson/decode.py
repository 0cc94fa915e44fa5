"""A JSON parser following Go's ``encoding/json`` rules and error wording."""

from __future__ import annotations

import json
import re
from typing import Any

from dockyard.gojson.encode import go_decode_utf8
from dockyard.gojson.errors import JSONError

__all__ = [
    "JSONObject",
    "decode_first",
    "parse",
    "parse_first",
    "raw_members",
    "to_python",
    "unmarshal",
    "validate",
]

#: Nesting limit; deeper documents are refused rather than overflowing the stack.
MAX_DEPTH = 256

_WS = b" \t\n\r"
_STR_RUN = re.compile(rb'[^"\\\x00-\x1f]*')
_ASCII_RUN = re.compile(rb"[\x20-\x7f]*")
_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_SIMPLE_ESCAPES = {
    ord('"'): '"',
    ord("\\"): "\\",
    ord("/"): "/",
    ord("b"): "\b",
    ord("f"): "\f",
    ord("n"): "\n",
    ord("r"): "\r",
    ord("t"): "\t",
}
_HEX = frozenset(b"0123456789abcdefABCDEF")
#: A ``\uD800``-``\uDFFF`` escape: Go turns lone surrogates into U+FFFD, Python keeps them.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class JSONObject(list[tuple[str, Any]]):
    """A JSON object as its ``(key, value)`` pairs in input order, duplicates kept.

    Go decodes objects key by key in input order, so keeping every pair lets the
    struct decoders reproduce "last wins" and case-insensitive matching exactly.
    """

    __slots__ = ()


def _quote_char(byte: int) -> str:
    if byte == 0x27:
        return "'\\''"
    if byte == 0x22:
        return "'\"'"
    named = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
    if byte in named:
        return f"'{named[byte]}'"
    if byte < 0x20 or byte == 0x7F:
        return f"'\\x{byte:02x}'"
    if 0x80 <= byte < 0xA0:
        return f"'\\u{byte:04x}'"
    return f"'{chr(byte)}'"


class _Parser:
    """Recursive-descent parser over bytes; ``pos`` is the next unread byte."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.depth = 0

    def fail(self, context: str) -> JSONError:
        if self.pos >= len(self.data):
            return JSONError("unexpected end of JSON input", self.pos)
        char = _quote_char(self.data[self.pos])
        return JSONError(f"invalid character {char} {context}", self.pos)

    def skip_ws(self) -> None:
        data, pos, n = self.data, self.pos, len(self.data)
        while pos < n and data[pos] in _WS:
            pos += 1
        self.pos = pos

    def value(self) -> Any:
        self.skip_ws()
        if self.pos >= len(self.data):
            raise self.fail("")
        byte = self.data[self.pos]
        if byte == 0x7B:
            return self.obj()
        if byte == 0x5B:
            return self.array()
        if byte == 0x22:
            return self.string()
        if byte == 0x2D or 0x30 <= byte <= 0x39:
            return self.number()
        for word, result in ((b"true", True), (b"false", False), (b"null", None)):
            if byte == word[0]:
                return self.literal(word, result)
        raise self.fail("looking for beginning of value")

    def literal(self, word: bytes, result: Any) -> Any:
        for expected in word:
            if self.pos >= len(self.data) or self.data[self.pos] != expected:
                raise self.fail(f"in literal {word.decode()} (expecting '{chr(expected)}')")
            self.pos += 1
        return result

    def number(self) -> int | float:
        match = _NUMBER.match(self.data, self.pos)
        if match is None:
            self.pos += 1  # past the '-'
            raise self.fail("in numeric literal")
        end = match.end()
        if end < len(self.data) and self.data[end] in b".eE":
            self.pos = end + 1
            if self.data[end] == 0x2E:
                raise self.fail("after decimal point in numeric literal")
            if self.pos < len(self.data) and self.data[self.pos] in b"+-":
                self.pos += 1
            raise self.fail("in exponent of numeric literal")
        self.pos = end
        text = match.group()
        if match.group(1) is None and match.group(2) is None:
            return int(text)
        return float(text)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise JSONError("exceeded max depth", self.pos)

    def obj(self) -> JSONObject:
        self.enter()
        self.pos += 1
        result = JSONObject()
        self.skip_ws()
        if self.data[self.pos : self.pos + 1] == b"}":
            self.pos += 1
            self.depth -= 1
            return result
        while True:
            self.skip_ws()
            if self.data[self.pos : self.pos + 1] != b'"':
                raise self.fail("looking for beginning of object key string")
            key = self.string()
            self.skip_ws()
            if self.data[self.pos : self.pos + 1] != b":":
                raise self.fail("after object key")
            self.pos += 1
            result.append((key, self.value()))
            self.skip_ws()
            nxt = self.data[self.pos : self.pos + 1]
            self.pos += 1
            if nxt == b"}":
                self.depth -= 1
                return result
            if nxt != b",":
                self.pos -= 1
                raise self.fail("after object key:value pair")

    def array(self) -> list[Any]:
        self.enter()
        self.pos += 1
        result: list[Any] = []
        self.skip_ws()
        if self.data[self.pos : self.pos + 1] == b"]":
            self.pos += 1
            self.depth -= 1
            return result
        while True:
            result.append(self.value())
            self.skip_ws()
            nxt = self.data[self.pos : self.pos + 1]
            self.pos += 1
            if nxt == b"]":
                self.depth -= 1
                return result
            if nxt != b",":
                self.pos -= 1
                raise self.fail("after array element")

    def string(self) -> str:
        data = self.data
        self.pos += 1  # opening quote
        parts: list[str] = []
        while True:
            match = _STR_RUN.match(data, self.pos)
            if match is not None and match.end() > self.pos:
                chunk = match.group()
                ascii_only = _ASCII_RUN.fullmatch(chunk) is not None
                parts.append(chunk.decode("ascii") if ascii_only else go_decode_utf8(chunk))
                self.pos = match.end()
            if self.pos >= len(data):
                raise self.fail("")
            byte = data[self.pos]
            if byte == 0x22:
                self.pos += 1
                return "".join(parts)
            if byte != 0x5C:
                raise self.fail("in string literal")
            parts.append(self.escape())

    def escape(self) -> str:
        self.pos += 1
        if self.pos >= len(self.data):
            raise self.fail("")
        byte = self.data[self.pos]
        if byte in _SIMPLE_ESCAPES:
            self.pos += 1
            return _SIMPLE_ESCAPES[byte]
        if byte != ord("u"):
            raise self.fail("in string escape code")
        self.pos += 1
        code = self.hex4()
        if 0xD800 <= code < 0xDC00 and self.data[self.pos : self.pos + 2] == b"\\u":
            save = self.pos
            self.pos += 2
            low = self.hex4()
            if 0xDC00 <= low < 0xE000:
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
            self.pos = save
        if 0xD800 <= code < 0xE000:
            return "\ufffd"
        return chr(code)

    def hex4(self) -> int:
        for _ in range(4):
            if self.pos >= len(self.data) or self.data[self.pos] not in _HEX:
                raise self.fail("in \\u hexadecimal character escape")
            self.pos += 1
        return int(self.data[self.pos - 4 : self.pos], 16)


def _as_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass")
    return bytes(data)


def parse(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse one JSON document strictly (Go ``json.Unmarshal`` rules).

    Objects become :class:`JSONObject` pair lists, integers ``int``, other numbers
    ``float``; invalid UTF-8 inside strings becomes U+FFFD (one per bad byte).

    Raises:
        JSONError: malformed JSON or data after the top-level value.
    """
    raw = _as_bytes(data)
    fast = _fast_parse(raw)
    if fast is not _NO_RESULT:
        return fast
    parser = _Parser(raw)
    result = parser.value()
    parser.skip_ws()
    if parser.pos < len(parser.data):
        raise parser.fail("after top-level value")
    return result


_NO_RESULT = object()


def _fast_parse_first(raw: bytes) -> tuple[Any, int] | None:
    """:func:`parse_first` through the C parser when that is safe (see ``_fast_parse``)."""
    if raw.count(b"[") + raw.count(b"{") >= MAX_DEPTH or _SURROGATE_ESCAPE.search(raw):
        return None
    try:
        text = raw.decode("utf-8")
        start = len(text) - len(text.lstrip(" \t\n\r"))
        decoder = json.JSONDecoder(object_pairs_hook=JSONObject, parse_constant=_reject)
        value, end = decoder.raw_decode(text, start)
    except (ValueError, RecursionError):
        return None
    return value, len(text[:end].encode("utf-8"))


def _reject(name: str) -> Any:
    raise ValueError(name)


def _fast_parse(raw: bytes) -> Any:
    """The same result through the C parser when the input needs none of Go's quirks.

    Valid UTF-8, no surrogate escapes, fewer brackets than the nesting limit: then
    Go's and Python's parsers agree on every valid document. Anything else (including
    every invalid document, whose error must be worded as Go words it) returns
    ``_NO_RESULT`` and goes to the exact parser.
    """
    if raw.count(b"[") + raw.count(b"{") >= MAX_DEPTH or _SURROGATE_ESCAPE.search(raw):
        return _NO_RESULT
    try:
        text = raw.decode("utf-8")
        return json.loads(text, object_pairs_hook=JSONObject, parse_constant=_reject)
    except (ValueError, RecursionError):
        return _NO_RESULT


def parse_first(data: bytes | bytearray | memoryview | str) -> tuple[Any, int]:
    """Parse the first JSON value and ignore what follows (Go ``json.Decoder.Decode``).

    Returns:
        The value (as :func:`parse` builds it) and the offset just after it.

    Raises:
        JSONError: ``EOF`` for empty input, ``unexpected EOF`` for a truncated value,
            or a syntax error inside the value.
    """
    raw = _as_bytes(data)
    fast = _fast_parse_first(raw)
    if fast is not None:
        return fast
    parser = _Parser(raw)
    parser.skip_ws()
    if parser.pos >= len(parser.data):
        raise JSONError("EOF", parser.pos)
    try:
        result = parser.value()
    except JSONError as exc:
        if str(exc) == "unexpected end of JSON input":
            raise JSONError("unexpected EOF", exc.offset) from None
        raise
    return result, parser.pos


def validate(data: bytes | bytearray | memoryview | str) -> None:
    """Check that ``data`` is one valid JSON document.

    Raises:
        JSONError: it is not.
    """
    parse(data)


def to_python(value: Any) -> Any:
    """Convert a parsed tree to plain Python values; for duplicate keys the last wins."""
    if isinstance(value, JSONObject):
        return {key: to_python(item) for key, item in value}
    if isinstance(value, list):
        return [to_python(item) for item in value]
    return value


def unmarshal(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse strictly and return plain Python values (dicts, lists, str, int, float...).

    Raises:
        JSONError: malformed JSON or trailing data.
    """
    return to_python(parse(data))


def decode_first(data: bytes | bytearray | memoryview | str) -> Any:
    """Return the first JSON value as plain Python, ignoring trailing data.

    Raises:
        JSONError: see :func:`parse_first`.
    """
    return to_python(parse_first(data)[0])


def raw_members(data: bytes | bytearray | memoryview | str) -> list[tuple[str, bytes]] | None:
    """Split a JSON object into ``(key, raw value bytes)`` pairs (Go ``map[string]RawMessage``).

    The raw bytes are exactly as in the input (escapes, number spelling and nested key
    order kept). Duplicate keys are all returned, in input order.

    Returns:
        The pairs, or None when the document is ``null`` (a nil map in Go).

    Raises:
        JSONError: malformed JSON, trailing data, or a top-level value that is not an
            object (Go's ``cannot unmarshal ... into Go value of type map...``).
    """
    raw = _as_bytes(data)
    tree = parse(raw)  # full validation first, as Go does
    if tree is None:
        return None
    if not isinstance(tree, JSONObject):
        kind = (
            "array"
            if isinstance(tree, list)
            else "string"
            if isinstance(tree, str)
            else ("bool" if isinstance(tree, bool) else "number")
        )
        raise JSONError(
            f"json: cannot unmarshal {kind} into Go value of type map[string]*json.RawMessage"
        )
    parser = _Parser(raw)
    parser.skip_ws()
    parser.pos += 1
    members: list[tuple[str, bytes]] = []
    while True:
        parser.skip_ws()
        if raw[parser.pos : parser.pos + 1] == b"}":
            return members
        key = parser.string()
        parser.skip_ws()
        parser.pos += 1  # ':'
        parser.skip_ws()
        start = parser.pos
        parser.value()
        members.append((key, raw[start : parser.pos]))
        parser.skip_ws()
        if raw[parser.pos : parser.pos + 1] == b",":
            parser.pos += 1
