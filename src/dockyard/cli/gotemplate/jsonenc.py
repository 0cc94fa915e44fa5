"""Go's ``encoding/json`` marshalling of template values.

Structs are written in field order with their JSON names, ``omitempty`` honoured and
embedded structs inlined; maps with sorted keys; nil slices, maps and pointers as
``null``; ``[]byte`` as base64; types with a ``MarshalJSON`` through it. Strings are
escaped as Go escapes them: ``<``, ``>`` and ``&`` only when HTML escaping is on (Docker's
``json`` function turns it off; ``json.Marshal`` has it on), U+2028 and U+2029 always.
"""

from __future__ import annotations

import math

from dockyard.cli.gotemplate.strconv import format_float, to_bytes
from dockyard.cli.gotemplate.types import (
    FLOAT_KINDS,
    INT_KINDS,
    UINT_KINDS,
    Field,
    GoType,
    V,
    dyn,
    elem_value,
    field_value,
)

__all__ = ["JSONError", "encode_string", "marshal"]


class JSONError(Exception):
    """A value Go's encoder refuses (``json: unsupported value: NaN``)."""


_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_NAMED = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
          "\t": "\\t", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def encode_string(s: str, escape_html: bool = True) -> str:
    """A JSON string literal as Go writes it (invalid UTF-8 becomes U+FFFD)."""
    out = ['"']
    for c in s:
        code = ord(c)
        if c in _NAMED:
            out.append(_NAMED[c])
        elif code < 0x20:
            out.append(f"\\u00{code:02x}")
        elif escape_html and c in _HTML:
            out.append(_HTML[c])
        elif 0xD800 <= code < 0xE000:
            out.append("\\ufffd")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _float(f: float) -> str:
    if math.isnan(f) or math.isinf(f):
        raise JSONError(f"json: unsupported value: {format_float(f, 'g', -1)}")
    a = abs(f)
    verb = "e" if a != 0 and (a < 1e-6 or a >= 1e21) else "f"
    text = format_float(f, verb, -1)
    if verb == "e" and len(text) >= 4 and text[-4] == "e" and text[-3] == "-" and (
            text[-2] == "0"):
        text = text[:-2] + text[-1]
    return text


def _empty(v: V) -> bool:
    t, x = v.t, v.x
    if t is None:
        return True
    kind = t.kind
    if kind in ("slice", "map", "string", "array"):
        return not x
    if kind in ("ptr", "interface"):
        return x is None
    if kind == "bool" or kind in INT_KINDS or kind in UINT_KINDS or kind in FLOAT_KINDS:
        return not x
    return False


def marshal(v: V, escape_html: bool = True) -> str:
    """Encode a value as Go's ``json.Marshal`` (compact).

    Raises:
        JSONError: NaN or an infinity.
    """
    out: list[str] = []
    _encode(v, escape_html, out)
    return "".join(out)


def _encode(v: V, html: bool, out: list[str]) -> None:
    t, x = v.t, v.x
    if t is None:
        out.append("null")
        return
    kind = t.kind
    if t.marshal is not None:
        out.append(t.marshal(x, html))
    elif kind == "interface":
        _encode(dyn(x, t.number_mode), html, out)
    elif kind == "ptr":
        if x is None:
            out.append("null")
        else:
            assert t.elem is not None
            _encode(elem_value(x, t.elem), html, out)
    elif kind == "bool":
        out.append("true" if x else "false")
    elif kind in INT_KINDS or kind in UINT_KINDS:
        out.append(str(int(x)))
    elif kind in FLOAT_KINDS:
        out.append(_float(float(x)))
    elif kind == "string":
        out.append(encode_string(x, html))
    elif kind == "slice":
        _slice(v, html, out)
    elif kind == "map":
        _map(v, html, out)
    elif kind == "struct":
        out.append("{")
        first = True
        for f, fv in _json_fields(v, t):
            if not first:
                out.append(",")
            first = False
            out.append(encode_string(f.json, html) + ":")
            _encode(fv, html, out)
        out.append("}")
    else:
        raise JSONError(f"json: unsupported type: {t.name}")


def _slice(v: V, html: bool, out: list[str]) -> None:
    t, x = v.t, v.x
    assert t is not None
    assert t.elem is not None
    if x is None:
        out.append("null")
    elif t.elem.kind == "uint8":
        import base64

        raw = x if isinstance(x, bytes) else bytes(x)
        out.append('"' + base64.b64encode(raw).decode() + '"')
    else:
        out.append("[")
        for i, item in enumerate(x):
            if i:
                out.append(",")
            _encode(elem_value(item, t.elem), html, out)
        out.append("]")


def _map(v: V, html: bool, out: list[str]) -> None:
    t, x = v.t, v.x
    assert t is not None
    assert t.elem is not None
    if x is None:
        out.append("null")
        return
    out.append("{")
    keys = sorted(x, key=lambda k: to_bytes(str(k)))
    for i, key in enumerate(keys):
        if i:
            out.append(",")
        out.append(encode_string(str(key), html) + ":")
        _encode(elem_value(x[key], t.elem), html, out)
    out.append("}")


def _json_fields(v: V, t: GoType) -> list[tuple[Field, V]]:
    fields: list[tuple[Field, V]] = []
    for f in t.fields:
        if f.json == "-":
            continue
        fv = field_value(v, (f,))
        if f.embedded and f.type.kind in ("struct", "ptr") and f.type.marshal is None:
            inner = fv
            if f.type.kind == "ptr":
                if fv.x is None:
                    continue
                assert f.type.elem is not None
                inner = elem_value(fv.x, f.type.elem)
            assert inner.t is not None
            fields.extend(_json_fields(inner, inner.t))
            continue
        if f.omitempty and _empty(fv):
            continue
        fields.append((f, fv))
    return fields
