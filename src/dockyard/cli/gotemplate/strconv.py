r"""Go's ``strconv`` as templates use it: quoting, unquoting, number parsing, float format.

Go strings are bytes; here they are Python ``str``. Bytes that are not valid UTF-8
(``"\\xff"``, a string cut inside a character) are carried as ``surrogateescape``
code points (U+DC80 to U+DCFF), which :func:`to_bytes` turns back into the raw bytes.
"""

from __future__ import annotations

import math

__all__ = [
    "format_float",
    "from_bytes",
    "go_quote",
    "go_unquote",
    "parse_float",
    "parse_int",
    "quote_rune",
    "to_bytes",
    "unquote_char",
]

_SIMPLE_ESC = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "\v": "\\v", "\\": "\\\\"}
_UNESC = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}


def to_bytes(s: str) -> bytes:
    """The Go bytes of a string (UTF-8; escaped raw bytes restored)."""
    return s.encode("utf-8", "surrogateescape")


def from_bytes(b: bytes) -> str:
    """A Go string from bytes, invalid UTF-8 kept as escaped raw bytes."""
    return b.decode("utf-8", "surrogateescape")


def _is_print(c: str) -> bool:
    return c == " " or (c.isprintable() and not 0xDC80 <= ord(c) <= 0xDCFF)


def _escape_char(c: str, quote: str, ascii_only: bool) -> str:
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if c == quote:
        return "\\" + c
    if c in _SIMPLE_ESC:
        return _SIMPLE_ESC[c]
    if (code < 0x80 or not ascii_only) and _is_print(c):
        return c
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if 0xD800 <= code < 0xE000:
        return "\\ufffd"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def go_quote(s: str, ascii_only: bool = False) -> str:
    """``strconv.Quote`` (``QuoteToASCII`` with ``ascii_only``)."""
    return '"' + "".join(_escape_char(c, '"', ascii_only) for c in s) + '"'


def quote_rune(r: int, ascii_only: bool = False) -> str:
    r"""``strconv.QuoteRune``: ``'a'``, ``'\\n'``; invalid runes print as U+FFFD."""
    if r > 0x10FFFF or 0xD800 <= r < 0xE000 or r < 0:
        r = 0xFFFD
    return "'" + _escape_char(chr(r), "'", ascii_only) + "'"


def unquote_char(s: str, i: int, quote: str) -> tuple[int, bool, int]:
    """Decode one character or escape at ``s[i]``: (value, is_byte, next index).

    Raises:
        ValueError: ``invalid syntax``.
    """
    c = s[i]
    if c == quote and quote in "'\"":
        raise ValueError("invalid syntax")
    if c != "\\":
        return ord(c), False, i + 1
    if i + 1 >= len(s):
        raise ValueError("invalid syntax")
    e = s[i + 1]
    if e in _UNESC:
        return _UNESC[e], False, i + 2
    if e in "xuU":
        n = {"x": 2, "u": 4, "U": 8}[e]
        digits = s[i + 2 : i + 2 + n]
        if len(digits) < n or any(d not in "0123456789abcdefABCDEF" for d in digits):
            raise ValueError("invalid syntax")
        v = int(digits, 16)
        if e != "x" and (v > 0x10FFFF or 0xD800 <= v < 0xE000):
            raise ValueError("invalid syntax")
        return v, e == "x", i + 2 + n
    if "0" <= e <= "7":
        digits = s[i + 1 : i + 4]
        if len(digits) < 3 or any(d not in "01234567" for d in digits) or int(digits, 8) > 255:
            raise ValueError("invalid syntax")
        return int(digits, 8), True, i + 4
    if e in "'\"" and e == quote:
        return ord(e), False, i + 2
    raise ValueError("invalid syntax")


def go_unquote(text: str) -> str:
    """``strconv.Unquote`` of a double-quoted or back-quoted Go string literal.

    Raises:
        ValueError: ``invalid syntax``.
    """
    if len(text) < 2 or text[0] != text[-1] or text[0] not in "\"`":
        raise ValueError("invalid syntax")
    body = text[1:-1]
    if text[0] == "`":
        if "`" in body:
            raise ValueError("invalid syntax")
        return body.replace("\r", "")
    if "\n" in body:
        raise ValueError("invalid syntax")
    if "\\" not in body:
        if '"' in body:
            raise ValueError("invalid syntax")
        return body
    out = bytearray()
    i = 0
    while i < len(body):
        value, is_byte, i = unquote_char(body, i, '"')
        out += bytes((value,)) if is_byte else to_bytes(chr(value))
    return from_bytes(bytes(out))


def _underscore_ok(s: str) -> bool:
    saw, i = "^", 0
    if s[:1] in ("-", "+"):
        s = s[1:]
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i, saw, hexa = 2, "0", s[1].lower() == "x"
    while i < len(s):
        c = s[i]
        if "0" <= c <= "9" or (hexa and "a" <= c.lower() <= "f"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
        i += 1
    return saw != "_"


def parse_int(text: str, unsigned: bool = False) -> int | None:
    """``strconv.ParseInt(text, 0, 64)`` (``ParseUint`` with ``unsigned``); None on error."""
    s = text
    neg = False
    if s[:1] in ("+", "-"):
        if unsigned:
            return None
        neg, s = s[0] == "-", s[1:]
    base, digits = 10, s
    low = s[:2].lower()
    if low in ("0x", "0o", "0b"):
        base, digits = {"0x": 16, "0o": 8, "0b": 2}[low], s[2:]
    elif s[:1] == "0" and len(s) > 1:
        base, digits = 8, s[1:]
    if "_" in s and not _underscore_ok(s):
        return None
    digits = digits.replace("_", "")
    valid = "0123456789abcdef"[:base]
    if not digits or any(c not in valid for c in digits.lower()):
        return None
    value = int(digits, base) * (-1 if neg else 1)
    lo, hi = (0, 2**64 - 1) if unsigned else (-(2**63), 2**63 - 1)
    return value if lo <= value <= hi else None


def parse_float(text: str) -> float | None:
    """``strconv.ParseFloat(text, 64)``; None on a syntax or range error."""
    s = text
    if "_" in s and not _underscore_ok(s):
        return None
    s = s.replace("_", "")
    body = s.lstrip("+-")
    if len(s) - len(body) > 1:
        return None
    try:
        if body[:2].lower() == "0x":
            if "p" not in body.lower():
                return None
            value = float.fromhex(s)
        else:
            if not body or body[0] not in "0123456789.":
                return None
            value = float(s)
    except ValueError:
        return None
    return None if math.isinf(value) else value


def _shortest(v: float) -> tuple[str, int]:
    """Shortest decimal digits of ``abs(v)`` and the decimal point position."""
    r = repr(abs(v))
    mant, _, exp = r.partition("e")
    ip, _, fp = mant.partition(".")
    digits = (ip + fp).lstrip("0")
    dp = len(ip) + (int(exp) if exp else 0) - (len(ip + fp) - len((ip + fp).lstrip("0")))
    digits = digits.rstrip("0")
    if not digits:
        return "0", 1
    return digits, dp


def _format_binary(v: float, verb: str, prec: int, sign: str) -> str:
    if verb == "b":
        mant, exp = math.frexp(abs(v))
        m = int(mant * (1 << 53))
        return f"{sign}{m}p{exp - 53:+d}" if m else f"{sign}0p-1074"
    if v == 0:
        mant, exp = 0, 0
    else:
        frac, e = math.frexp(abs(v))
        mant, exp = int(frac * (1 << 53)), e - 1  # value = mant / 2**52 * 2**exp
    if prec >= 0 and prec < 13:
        shift = 52 - 4 * prec
        half, rest = 1 << (shift - 1), mant & ((1 << shift) - 1)
        mant >>= shift
        if rest > half or (rest == half and mant & 1):
            mant += 1
        if mant >> (4 * prec + 1):
            mant >>= 1
            exp += 1
        digits = f"{mant & ((1 << 4 * prec) - 1):0{prec}x}" if prec else ""
    else:
        digits = f"{mant & ((1 << 52) - 1):013x}"
        digits = digits.rstrip("0") if prec < 0 else digits.ljust(prec, "0")
    lead = "1" if mant else "0"
    text = f"{sign}0x{lead}{'.' + digits if digits else ''}p{exp:+03d}"
    return text.upper() if verb == "X" else text


def format_float(v: float, verb: str, prec: int) -> str:
    """``strconv.FormatFloat(v, verb, prec, 64)`` (prec -1: the shortest exact form)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, v) < 0 else ""
    if verb in "xXb":
        return _format_binary(v, verb, prec, sign)
    low = verb.lower()
    if prec >= 0:
        if low == "g" and prec == 0:
            prec = 1
        text = format(abs(v), f".{prec}{'F' if verb == 'F' else verb}")
        if low == "g" and "e" in text.lower():
            head, _, tail = text.lower().partition("e")
            text = head + ("E" if verb == "G" else "e") + tail[0] + tail[1:].zfill(2)
        return sign + text
    digits, dp = _shortest(v)
    exp = dp - 1
    if low == "g":
        low = "e" if (exp < -4 or exp >= 6) and digits != "0" else "f"
    if low == "e":
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        e = "E" if verb in "EG" else "e"
        return f"{sign}{mant}{e}{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"
