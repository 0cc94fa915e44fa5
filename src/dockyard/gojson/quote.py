"""Go's ``strconv.Quote`` (the ``%q`` verb), for error messages worded as Docker's."""

from __future__ import annotations

__all__ = ["go_quote"]

_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def go_quote(text: str) -> str:
    r"""Quote ``text`` as Go's ``strconv.Quote`` does.

    Printable characters stay as they are; ``"`` and ``\`` are escaped, control and
    other non-printable characters become ``\a``-style, ``\xNN``, ``\uNNNN`` or
    ``\UNNNNNNNN`` escapes. Bytes that were not UTF-8 (kept as surrogate escapes, as
    ``bytes.decode(..., "surrogateescape")`` gives them) become ``\xNN``.

    Args:
        text: the string to quote.

    Returns:
        The quoted string, quotes included.
    """
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable byte (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char.isprintable():
            out.append(char)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)
