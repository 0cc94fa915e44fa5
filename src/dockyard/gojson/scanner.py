"""Go's JSON grammar over bytes: the exact parser and the values it builds.

:class:`Parser` follows Go's ``encoding/json`` scanner, error wording included, with an
explicit stack instead of recursion (Go's 10,000 levels of nesting cannot overflow it), and
reads strings straight from the input buffer (no decoded copy of the whole text).
"""

from __future__ import annotations

import re
from typing import Any

from dockyard.gojson.encode import GO_REPLACE
from dockyard.gojson.errors import JSONError

__all__ = [
    "LARGE_DOCUMENT",
    "MAX_DEPTH",
    "JSONNumber",
    "JSONObject",
    "Parser",
    "number_text",
    "number_value",
]

#: Go's nesting limit (``invalid character '[' exceeded max depth`` beyond it).
MAX_DEPTH = 10000

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
#: Documents larger than this skip the C parser, which needs a decoded copy of the whole
#: text: the exact parser reads the bytes in place, so a 64 MiB config costs its bytes and
#: its values, not a third copy.
LARGE_DOCUMENT = 4 << 20
#: Longest integer literal kept as an ``int`` (CPython refuses longer ones by default, and
#: no Go integer type has more than 20 digits anyway).
MAX_INT_DIGITS = 4000

class JSONNumber(float):
    """A JSON number that is not a plain integer, with its literal text as written.

    Fractions, exponents and integers too long for :data:`MAX_INT_DIGITS` become this
    ``float`` subclass (``1e400`` and 5,000-digit integers are infinite floats), so that
    Go's messages can quote the literal (``cannot unmarshal number 1e30 into ...``).

    Attributes:
        text: the number exactly as written in the input.
    """

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> JSONNumber:
        """Make the number of the literal ``text`` (a valid JSON number)."""
        value = super().__new__(cls, text)
        value.text = text
        return value



def number_value(text: str) -> int | JSONNumber:
    """The value of a valid JSON number literal: ``int`` for short integers."""
    digits = len(text) - (text[0] == "-")
    if digits <= MAX_INT_DIGITS and text.lstrip("-").isdigit():
        return int(text)
    return JSONNumber(text)


def number_text(value: int | float) -> str:
    """The literal of a parsed number, as Go quotes it in type errors."""
    if isinstance(value, JSONNumber):
        return value.text
    if isinstance(value, float):
        return repr(value)
    return str(value)


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


class Parser:
    """Parser over bytes, with an explicit stack; ``pos`` is the next unread byte."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.view = memoryview(data)
        self.pos = 0
        self.depth = 0

    def fail(self, context: str) -> JSONError:
        """Go's syntax error at the current byte (``unexpected end`` past the end)."""
        if self.pos >= len(self.data):
            return JSONError("unexpected end of JSON input", self.pos)
        char = _quote_char(self.data[self.pos])
        return JSONError(f"invalid character {char} {context}", self.pos)

    def skip_ws(self) -> None:
        """Move past JSON whitespace."""
        data, pos, n = self.data, self.pos, len(self.data)
        while pos < n and data[pos] in _WS:
            pos += 1
        self.pos = pos

    def value(self) -> Any:
        """Parse one value; nesting is followed with an explicit stack (no recursion)."""
        data = self.data
        stack: list[list[Any]] = []  # [container, key of the value being parsed]
        while True:
            self.skip_ws()
            if self.pos >= len(data):
                raise self.fail("")
            byte = data[self.pos]
            result: Any
            if byte in (0x7B, 0x5B):
                self.enter()
                self.pos += 1
                self.skip_ws()
                if byte == 0x7B and data[self.pos : self.pos + 1] != b"}":
                    stack.append([JSONObject(), self.key()])
                    continue
                if byte == 0x5B and data[self.pos : self.pos + 1] != b"]":
                    stack.append([[], None])
                    continue
                self.pos += 1
                self.depth -= 1
                result = JSONObject() if byte == 0x7B else []
            else:
                result = self.scalar(byte)
            # Attach the value to its container; close every container that ends here.
            while stack:
                frame = stack[-1]
                container = frame[0]
                if isinstance(container, JSONObject):
                    container.append((frame[1], result))
                else:
                    container.append(result)
                self.skip_ws()
                nxt = data[self.pos : self.pos + 1]
                self.pos += 1
                closing = b"}" if isinstance(container, JSONObject) else b"]"
                if nxt == closing:
                    self.depth -= 1
                    stack.pop()
                    result = container
                    continue
                if nxt != b",":
                    self.pos -= 1
                    where = "object key:value pair" if closing == b"}" else "array element"
                    raise self.fail(f"after {where}")
                if closing == b"}":
                    self.skip_ws()
                    frame[1] = self.key()
                break
            else:
                return result

    def key(self) -> str:
        """An object key and the colon after it (the next byte must start the key)."""
        if self.data[self.pos : self.pos + 1] != b'"':
            raise self.fail("looking for beginning of object key string")
        key = self.string()
        self.skip_ws()
        if self.data[self.pos : self.pos + 1] != b":":
            raise self.fail("after object key")
        self.pos += 1
        return key

    def scalar(self, byte: int) -> Any:
        """A string, number or literal starting with ``byte``."""
        if byte == 0x22:
            return self.string()
        if byte == 0x2D or 0x30 <= byte <= 0x39:
            return self.number()
        for word, result in ((b"true", True), (b"false", False), (b"null", None)):
            if byte == word[0]:
                return self.literal(word, result)
        raise self.fail("looking for beginning of value")

    def literal(self, word: bytes, result: Any) -> Any:
        """``true``, ``false`` or ``null``, spelled exactly."""
        for expected in word:
            if self.pos >= len(self.data) or self.data[self.pos] != expected:
                raise self.fail(f"in literal {word.decode()} (expecting '{chr(expected)}')")
            self.pos += 1
        return result

    def number(self) -> int | JSONNumber:
        """A number literal (see :func:`number_value`)."""
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
        return number_value(match.group().decode("ascii"))

    def enter(self) -> None:
        """One level deeper (``exceeded max depth`` beyond Go's limit)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail("exceeded max depth")

    def string(self) -> str:
        """A string literal; invalid UTF-8 becomes U+FFFD, one per byte, as in Go."""
        data = self.data
        self.pos += 1  # opening quote
        parts: list[str] = []
        while True:
            match = _STR_RUN.match(data, self.pos)
            if match is not None and match.end() > self.pos:
                # Decoded straight from the input buffer: no intermediate copy.
                start, end = self.pos, match.end()
                if _ASCII_RUN.fullmatch(data, start, end) is not None:
                    parts.append(str(self.view[start:end], "ascii"))
                else:
                    parts.append(str(self.view[start:end], "utf-8", GO_REPLACE))
                self.pos = end
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
        r"""A backslash escape (``\uD83D\uDE00`` pairs joined, lone surrogates U+FFFD)."""
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
        r"""The four hexadecimal digits of a ``\u`` escape."""
        for _ in range(4):
            if self.pos >= len(self.data) or self.data[self.pos] not in _HEX:
                raise self.fail("in \\u hexadecimal character escape")
            self.pos += 1
        return int(self.data[self.pos - 4 : self.pos], 16)
