"""Go-compatible JSON: the exact bytes of Go's ``encoding/json`` and its decoding rules.

Invariants: :func:`encode` output is compact, HTML-safe (no raw ``<``, ``>``, ``&``,
U+2028, U+2029) and valid UTF-8; mappings are written with byte-sorted keys while
:class:`Struct` keeps field order; the decoders never raise anything but
:class:`JSONError` (a :class:`~dockyard.errors.FormatError`).
"""

from __future__ import annotations

from dockyard.gojson.decode import (
    JSONNumber,
    JSONObject,
    decode_first,
    parse,
    parse_first,
    raw_members,
    to_python,
    unmarshal,
    validate,
)
from dockyard.gojson.encode import (
    Compat,
    GoMarshaler,
    RawMessage,
    Struct,
    compact,
    encode,
    encode_string,
    go_decode_utf8,
    is_empty,
)
from dockyard.gojson.errors import JSONError, UnmarshalTypeError
from dockyard.gojson.gotime import GoTime, InvalidTime
from dockyard.gojson.quote import go_quote

__all__ = [
    "Compat",
    "GoMarshaler",
    "GoTime",
    "InvalidTime",
    "JSONError",
    "JSONNumber",
    "JSONObject",
    "RawMessage",
    "Struct",
    "UnmarshalTypeError",
    "compact",
    "decode_first",
    "encode",
    "encode_string",
    "go_decode_utf8",
    "go_quote",
    "is_empty",
    "parse",
    "parse_first",
    "raw_members",
    "to_python",
    "unmarshal",
    "validate",
]
