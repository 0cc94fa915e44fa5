"""A JSON parser following Go's ``encoding/json`` rules and error wording."""

from __future__ import annotations

import json
import re
from typing import Any

from dockyard.gojson.errors import JSONError
from dockyard.gojson.scanner import (
    LARGE_DOCUMENT,
    MAX_DEPTH,
    JSONNumber,
    JSONObject,
    number_value,
)
from dockyard.gojson.scanner import Parser as _Parser

__all__ = [
    "JSONNumber",
    "JSONObject",
    "decode_first",
    "parse",
    "parse_first",
    "raw_members",
    "to_python",
    "unmarshal",
    "validate",
]

#: A ``\uD800``-``\uDFFF`` escape: Go turns lone surrogates into U+FFFD, Python keeps them.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


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
    found = _c_parse(raw)
    if found is None:
        return None
    value, text, end = found
    return value, len(text[:end].encode("utf-8"))


def _c_parse(raw: bytes) -> tuple[Any, str, int] | None:
    """The first value of ``raw`` parsed by the C parser, the text, and where the value ends.

    None when the exact parser must decide: large documents, invalid UTF-8, surrogate
    escapes, invalid JSON, or nesting deeper than :data:`MAX_DEPTH`.
    """
    if len(raw) > LARGE_DOCUMENT or _SURROGATE_ESCAPE.search(raw):
        return None
    try:
        text = raw.decode("utf-8")
        value, end = _c_decode(text, len(text) - len(text.lstrip(" \t\n\r")))
    except (ValueError, RecursionError):
        return None
    if raw.count(b"[") + raw.count(b"{") >= MAX_DEPTH and _depth(value) > MAX_DEPTH:
        return None
    return value, text, end


def _depth(value: Any) -> int:
    """The nesting depth of a parsed value (without recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, JSONObject):
            deepest = max(deepest, depth + 1)
            stack.extend((item, depth + 1) for _, item in node)
        elif isinstance(node, list):
            deepest = max(deepest, depth + 1)
            stack.extend((item, depth + 1) for item in node)
    return deepest


def _reject(name: str) -> Any:
    raise ValueError(name)


_DECODER = json.JSONDecoder(
    object_pairs_hook=JSONObject, parse_float=JSONNumber, parse_constant=_reject
)
_DECODER_LONG_INTS = json.JSONDecoder(
    object_pairs_hook=JSONObject,
    parse_float=JSONNumber,
    parse_int=number_value,
    parse_constant=_reject,
)


def _c_decode(text: str, start: int) -> tuple[Any, int]:
    """The C parser's ``raw_decode``; integers too long for ``int()`` get a second pass.

    Raises:
        ValueError: the text is not valid JSON (or Python's and Go's rules could differ).
        RecursionError: nesting too deep for the C parser.
    """
    try:
        return _DECODER.raw_decode(text, start)
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
    return _DECODER_LONG_INTS.raw_decode(text, start)


def _fast_parse(raw: bytes) -> Any:
    """The same result through the C parser when the input needs none of Go's quirks.

    Valid UTF-8, no surrogate escapes, nesting within the limit: then Go's and Python's
    parsers agree on every valid document. Anything else (including every invalid
    document, whose error must be worded as Go words it) returns ``_NO_RESULT`` and goes
    to the exact parser.
    """
    found = _c_parse(raw)
    if found is None:
        return _NO_RESULT
    value, text, end = found
    if end < len(text) and text[end:].strip(" \t\n\r"):
        return _NO_RESULT
    return value


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
    if not isinstance(value, list):
        return value
    root: list[Any] = []
    # Each task: (source container, destination list or dict); built without recursion.
    tasks: list[tuple[Any, Any]] = []

    def convert(item: Any) -> Any:
        if isinstance(item, JSONObject):
            made: dict[str, Any] = {}
            tasks.append((item, made))
            return made
        if isinstance(item, list):
            made_list: list[Any] = []
            tasks.append((item, made_list))
            return made_list
        return item

    root.append(convert(value))
    while tasks:
        source, target = tasks.pop()
        if isinstance(target, dict):
            for key, item in source:
                target[key] = convert(item)
        else:
            target.extend(convert(item) for item in source)
    return root[0]


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
