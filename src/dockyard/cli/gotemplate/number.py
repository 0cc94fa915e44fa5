"""Numeric constants of templates, interpreted as Go's parser does (``newNumber``).

A constant may be an integer, an unsigned integer, a float and a complex number at the
same time (``2.0`` is all but complex); the executor picks the interpretation the
context asks for. Character constants (``'a'``) are numbers too.
"""

from __future__ import annotations

from dockyard.cli.gotemplate.nodes import NumberNode
from dockyard.cli.gotemplate.strconv import go_quote, parse_float, parse_int, unquote_char

__all__ = ["new_number"]


def new_number(pos: int, text: str, is_char: bool, is_complex: bool) -> NumberNode:
    """Go's ``newNumber``: every interpretation of a numeric constant.

    Raises:
        ValueError: Go's message (``illegal number syntax: "0x"``, …).
    """
    n = NumberNode(pos, text)
    if is_char:
        value, _, end = unquote_char(text, 1, "'")
        if text[end:] != "'":
            raise ValueError(f"malformed character constant: {text}")
        n.int64 = n.uint64 = value
        n.float64 = float(value)
        n.is_int = n.is_uint = n.is_float = True
        return n
    if is_complex:
        try:
            n.complex128 = complex(text.replace("_", "")[:-1] + "j")
        except ValueError:
            raise ValueError(f"illegal number syntax: {go_quote(text)}") from None
        n.is_complex = True
        _simplify_complex(n)
        return n
    if text.endswith("i"):
        imag = parse_float(text[:-1])
        if imag is not None:
            n.is_complex, n.complex128 = True, complex(0, imag)
            _simplify_complex(n)
            return n
    unsigned = parse_int(text, unsigned=True)
    if unsigned is not None:
        n.is_uint, n.uint64 = True, unsigned
    signed = parse_int(text)
    if signed is not None:
        n.is_int, n.int64 = True, signed
        if signed == 0:
            n.is_uint, n.uint64 = True, 0
    if n.is_int or n.is_uint:
        n.is_float, n.float64 = True, float(n.int64 if n.is_int else n.uint64)
    else:
        f = parse_float(text)
        if f is not None:
            if not any(c in text for c in ".eEpP"):
                raise ValueError(f"integer overflow: {go_quote(text)}")
            n.is_float, n.float64 = True, f
            if f.is_integer() and -(2**63) <= f < 2**63:
                n.is_int, n.int64 = True, int(f)
            if f.is_integer() and 0 <= f < 2**64:
                n.is_uint, n.uint64 = True, int(f)
    if not (n.is_int or n.is_uint or n.is_float):
        raise ValueError(f"illegal number syntax: {go_quote(text)}")
    return n


def _simplify_complex(n: NumberNode) -> None:
    n.is_float = n.complex128.imag == 0
    if n.is_float:
        f = n.float64 = n.complex128.real
        n.is_int = f.is_integer() and -(2**63) <= f < 2**63
        n.int64 = int(f) if n.is_int else 0
        n.is_uint = f.is_integer() and 0 <= f < 2**64
        n.uint64 = int(f) if n.is_uint else 0
