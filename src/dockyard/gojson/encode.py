"""An encoder producing exactly the bytes of Go's ``encoding/json`` ``json.Marshal``."""

from __future__ import annotations

import codecs
import enum
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from dockyard.gojson.errors import JSONError
from dockyard.gojson.gotime import GoTime

__all__ = [
    "Compat",
    "GoMarshaler",
    "RawMessage",
    "Struct",
    "compact",
    "encode",
    "encode_string",
    "go_decode_utf8",
    "is_empty",
]


class Compat(enum.Enum):
    r"""Which Docker release (and so which Go version and type layout) to imitate.

    ``V20_10`` is Debian's Docker 20.10.24 built with Go 1.19 (``\u0008``/``\u000c``,
    value-typed ``created`` fields); ``V28`` is Docker 28.3 built with Go >= 1.22
    (``\b``/``\f``, pointer-typed ``created`` fields).
    """

    V20_10 = "20.10"
    V28 = "28"


def _replace_one_byte(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "\ufffd", exc.start + 1


#: The codec error handler replacing each invalid UTF-8 byte by U+FFFD, as Go does.
GO_REPLACE = "dockyard-gojson-replace"
codecs.register_error(GO_REPLACE, _replace_one_byte)


def go_decode_utf8(data: bytes) -> str:
    """Decode UTF-8 replacing every invalid byte by U+FFFD, one per byte, as Go does."""
    return data.decode("utf-8", GO_REPLACE)


class RawMessage(bytes):
    """Already-encoded JSON (Go ``json.RawMessage``).

    When encoded it is validated, compacted and HTML-escaped, as Go does when it
    re-marshals a ``RawMessage``; an empty value encodes as ``null``.
    """

    __slots__ = ()


class Struct:
    """An ordered JSON object: a Go struct whose fields keep declaration order.

    Build it with :meth:`add`; ``omitempty`` follows Go's rule (see :func:`is_empty`).
    """

    __slots__ = ("fields",)

    def __init__(self, fields: Iterable[tuple[str, Any]] = ()) -> None:
        self.fields: list[tuple[str, Any]] = list(fields)

    def add(self, key: str, value: Any, *, omitempty: bool = False) -> Struct:
        """Append a field unless ``omitempty`` is set and the value is empty.

        Returns:
            The struct itself, so calls can be chained.
        """
        if not (omitempty and is_empty(value)):
            self.fields.append((key, value))
        return self

    def items(self) -> Iterator[tuple[str, Any]]:
        """The fields in order."""
        return iter(self.fields)

    def sorted(self) -> Struct:
        """A copy with the keys sorted by byte order (Go's map encoding)."""
        return Struct(sorted(self.fields, key=lambda kv: _key_bytes(kv[0])))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Struct) and self.fields == other.fields

    def __repr__(self) -> str:
        return f"Struct({self.fields!r})"

    __hash__ = None  # type: ignore[assignment]


@runtime_checkable
class GoMarshaler(Protocol):
    """A value that knows its Go JSON form (returns a value :func:`encode` understands)."""

    def __gojson__(self, compat: Compat) -> Any:
        """Return the encodable form of this value for ``compat``."""


def is_empty(value: Any) -> bool:
    """Go's ``omitempty`` test: None, ``""``, ``0``, ``False`` and empty containers.

    Struct-like values (:class:`Struct`, :class:`GoTime`, models) are never empty.
    """
    if value is None or value is False:
        return True
    if isinstance(value, bool | int | float):
        return value == 0
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        return len(value) == 0
    return False


def _key_bytes(key: str) -> bytes:
    return key.encode("utf-8", "surrogatepass")


_ESCAPE = re.compile('[\x00-\x1f"\\\\<>&\u2028\u2029\ud800-\udfff]')
_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(char: str, compat: Compat) -> str:
    short = _SHORT.get(char)
    if short is not None:
        return short
    if compat is Compat.V28 and char in "\b\f":
        return "\\b" if char == "\b" else "\\f"
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return "\\ufffd"
    return f"\\u{code:04x}"


def encode_string(value: str | bytes, compat: Compat = Compat.V28) -> str:
    r"""Quote ``value`` as Go's encoder does (HTML-safe, invalid UTF-8 as ``\ufffd``)."""
    # invalid bytes become lone surrogates, which are written as \ufffd escapes
    text = value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value
    return '"' + _ESCAPE.sub(lambda m: _escape_char(m.group(), compat), text) + '"'


def _format_float(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        raise JSONError(f"json: unsupported value: {_go_float_name(value)}")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = repr(value)
        if len(text) >= 4 and text[-4:-1] == "e-0":  # Go cleans e-09 up to e-9
            text = text[:-2] + text[-1]
        return text
    return format(Decimal(repr(value)).normalize(), "f")


def _go_float_name(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


_WS = b" \t\n\r"
_HTML_IN_RAW = {
    ord("<"): b"\\u003c",
    ord(">"): b"\\u003e",
    ord("&"): b"\\u0026",
}


def compact(raw: bytes) -> bytes:
    """Compact valid JSON text and apply Go's HTML-safe escaping inside it.

    Raises:
        JSONError: ``raw`` is not valid JSON.
    """
    from dockyard.gojson.decode import validate

    validate(raw)
    out = bytearray()
    in_string = False
    i = 0
    n = len(raw)
    while i < n:
        byte = raw[i]
        if in_string:
            if byte == 0x5C:  # backslash: copy the escape pair verbatim
                out += raw[i : i + 2]
                i += 2
                continue
            if byte == 0x22:
                in_string = False
            elif byte in _HTML_IN_RAW:
                out += _HTML_IN_RAW[byte]
                i += 1
                continue
            elif (
                byte == 0xE2
                and raw[i + 1 : i + 2] == b"\x80"
                and raw[i + 2 : i + 3]
                in (
                    b"\xa8",
                    b"\xa9",
                )
            ):
                out += b"\\u2028" if raw[i + 2] == 0xA8 else b"\\u2029"
                i += 3
                continue
            out.append(byte)
        elif byte not in _WS:
            if byte == 0x22:
                in_string = True
            out.append(byte)
        i += 1
    return bytes(out)


def _encode(value: Any, compat: Compat, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, RawMessage):
        # Go copies the bytes of a RawMessage as they are, invalid UTF-8 included.
        out.append(compact(value).decode("utf-8", "surrogateescape") if value else "null")
    elif isinstance(value, str | bytes):
        out.append(encode_string(value, compat))
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(_format_float(value))
    elif isinstance(value, GoTime):
        out.append(encode_string(value.format(), compat))
    elif isinstance(value, Struct):
        _encode_pairs(value.fields, compat, out)
    elif isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise JSONError(f"json: unsupported type: map with {type(key).__name__} key")
        keys = sorted(value, key=_key_bytes)
        _encode_pairs([(k, value[k]) for k in keys], compat, out)
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, compat, out)
        out.append("]")
    elif isinstance(value, GoMarshaler):
        _encode(value.__gojson__(compat), compat, out)
    else:
        raise JSONError(f"json: unsupported type: {type(value).__name__}")


def _encode_pairs(pairs: Iterable[tuple[str, Any]], compat: Compat, out: list[str]) -> None:
    out.append("{")
    first = True
    for key, item in pairs:
        if not first:
            out.append(",")
        first = False
        out.append(encode_string(key, compat))
        out.append(":")
        _encode(item, compat, out)
    out.append("}")


def encode(value: Any, compat: Compat = Compat.V28) -> bytes:
    """Encode ``value`` exactly as Go's ``json.Marshal`` would (compact, no newline).

    Mapping: None → null, bool, int, float, str (and ``bytes`` as UTF-8 text),
    :class:`GoTime` → RFC 3339 string, :class:`Struct` → object in field order,
    ``Mapping`` → object with byte-sorted keys, list/tuple → array,
    :class:`RawMessage` → compacted raw JSON, :class:`GoMarshaler` → its form.

    Raises:
        JSONError: an unsupported type or value (NaN, a non-string map key, ...).
    """
    out: list[str] = []
    _encode(value, compat, out)
    # Strings are escaped to valid UTF-8; only the raw bytes of a RawMessage come back.
    return "".join(out).encode("utf-8", "surrogateescape")
