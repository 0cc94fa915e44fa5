"""Go's ``fmt`` formatting of single values: flags, width, precision, every scalar verb.

:class:`Formatter` holds the state of one ``%`` directive (Go's ``fmt`` struct) and
formats booleans, integers (``%d %b %o %O %x %X %c %q %U``), floats and complex numbers
(``%e %f %g %x %b`` …), strings and byte slices (``%s %q %x``), pointers, and the
``%!verb(type=value)`` form of a verb that does not fit its operand.
"""

from __future__ import annotations

from dockyard.cli.gotemplate.strconv import format_float, go_quote, quote_rune, to_bytes
from dockyard.cli.gotemplate.types import UINT8, V

__all__ = ["Formatter"]

_FAKE_ADDRESS = 0xC000010000


class Formatter:
    """One directive's flags and the output buffer; subclasses print composite values."""

    def __init__(self) -> None:
        self.buf: list[str] = []
        self.clear()

    def clear(self) -> None:
        """Reset the flags for the next directive."""
        self.plus = self.minus = self.sharp = self.space = self.zero = False
        self.plus_v = self.sharp_v = False
        self.wid = self.prec = 0
        self.wid_present = self.prec_present = False

    # -- padding --------------------------------------------------------------------------

    def pad(self, s: str) -> None:
        """Write ``s`` padded to the width."""
        if not self.wid_present or self.wid == 0:
            self.buf.append(s)
            return
        width = self.wid - len(s)
        if width <= 0:
            self.buf.append(s)
        elif self.minus:
            self.buf.append(s + " " * width)
        else:
            self.buf.append(("0" if self.zero else " ") * width + s)

    def print_arg(self, v: V, verb: str) -> None:
        """Print an operand (implemented by the printer)."""
        raise NotImplementedError

    def bad_verb(self, verb: str, v: V) -> None:
        """Write ``%!verb(type=value)``."""
        self.buf.append("%!" + verb + "(")
        if v.t is not None:
            self.buf.append(v.t.name + "=")
            self.print_arg(v, "v")
        else:
            self.buf.append("<nil>")
        self.buf.append(")")

    # -- scalars --------------------------------------------------------------------------

    def fmt_bool(self, b: bool, verb: str, v: V) -> None:
        """Format a bool."""
        if verb in "tv":
            self.pad("true" if b else "false")
        else:
            self.bad_verb(verb, v)

    def fmt_integer(self, n: int, signed: bool, verb: str, v: V) -> None:
        """Format an integer for a verb."""
        if verb == "v" and self.sharp_v and not signed:
            self.fmt_0x64(n, True)
        elif verb in "vd":
            self.fmt_int(n, 10, verb, "0123456789abcdef")
        elif verb in "boOxX":
            base = {"b": 2, "o": 8, "O": 8, "x": 16, "X": 16}[verb]
            self.fmt_int(n, base, verb, "0123456789ABCDEF" if verb == "X" else
                         "0123456789abcdef")
        elif verb == "c":
            self.pad(chr(n) if 0 <= n <= 0x10FFFF and not 0xD800 <= n < 0xE000 else "\ufffd")
        elif verb == "q":
            self.pad(quote_rune(n, self.plus))
        elif verb == "U":
            self.fmt_unicode(n)
        else:
            self.bad_verb(verb, v)

    def fmt_0x64(self, n: int, leading: bool) -> None:
        """Format an integer in hex, with or without ``0x``."""
        sharp = self.sharp
        self.sharp = leading
        self.fmt_int(n, 16, "v", "0123456789abcdef")
        self.sharp = sharp

    def fmt_int(self, n: int, base: int, verb: str, digits: str) -> None:
        """Format an integer in a base, with precision, sign and prefix."""
        negative = n < 0
        u = -n if negative else n
        prec = 0
        if self.prec_present:
            prec = self.prec
            if prec == 0 and u == 0:
                zero, self.zero = self.zero, False
                self.pad("")
                self.zero = zero
                return
        elif self.zero and not self.minus and self.wid_present:
            prec = self.wid - (1 if negative or self.plus or self.space else 0)
        text = ""
        while True:
            text = digits[u % base] + text
            u //= base
            if u == 0:
                break
        text = text.rjust(prec, "0")
        if self.sharp:
            if base == 2:
                text = "0b" + text
            elif base == 8 and text[0] != "0":
                text = "0" + text
            elif base == 16:
                text = "0" + ("X" if digits[10] == "A" else "x") + text
        if verb == "O":
            text = "0o" + text
        if negative:
            text = "-" + text
        elif self.plus:
            text = "+" + text
        elif self.space:
            text = " " + text
        zero, self.zero = self.zero, False
        self.pad(text)
        self.zero = zero

    def fmt_unicode(self, n: int) -> None:
        """Format ``U+0041`` (``%U``)."""
        text = f"U+{n:04X}" if n >= 0 else f"U+{n & 0xFFFFFFFFFFFFFFFF:X}"
        if self.prec_present and self.prec > 4:
            text = "U+" + text[2:].rjust(self.prec, "0")
        if self.sharp and 0 <= n <= 0x10FFFF and chr(n).isprintable():
            text += " '" + chr(n) + "'"
        zero, self.zero = self.zero, False
        self.pad(text)
        self.zero = zero

    def fmt_float(self, f: float, verb: str, v: V) -> None:
        """Format a float for a verb."""
        if verb not in "vbgGxXfFeE":
            self.bad_verb(verb, v)
            return
        prec = self.prec if self.prec_present else (6 if verb in "fFeE" else -1)
        num = format_float(f, "g" if verb == "v" else verb, prec)
        if self.sharp and verb != "b" and num.lstrip("+-")[:1] not in ("I", "N"):
            num = _sharp_float(num, verb, prec)
        if num[0] not in "+-":
            num = "+" + num
        if self.space and num[0] == "+" and not self.plus:
            num = " " + num[1:]
        if num[1:2] in ("I", "N"):
            zero, self.zero = self.zero, False
            if num[1] == "N" and not self.space and not self.plus:
                num = num[1:]
            self.pad(num)
            self.zero = zero
            return
        if self.plus or num[0] != "+":
            if self.zero and not self.minus and self.wid_present and self.wid > len(num):
                self.buf.append(num[0] + "0" * (self.wid - len(num)) + num[1:])
                return
            self.pad(num)
            return
        self.pad(num[1:])

    def fmt_complex(self, c: complex, verb: str, v: V) -> None:
        """Format a complex number as ``(r+ii)``."""
        if verb not in "vbgGxXfFeE":
            self.bad_verb(verb, v)
            return
        plus = self.plus
        self.buf.append("(")
        self.fmt_float(c.real, verb, v)
        self.plus = True
        self.fmt_float(c.imag, verb, v)
        self.buf.append("i)")
        self.plus = plus

    def fmt_string(self, s: str, verb: str, v: V) -> None:
        """Format a string for a verb."""
        if verb == "v":
            self.fmt_q(s) if self.sharp_v else self.fmt_s(s)
        elif verb == "s":
            self.fmt_s(s)
        elif verb in "xX":
            self.fmt_hex(to_bytes(s), verb)
        elif verb == "q":
            self.fmt_q(s)
        else:
            self.bad_verb(verb, v)

    def fmt_s(self, s: str) -> None:
        """Format a string, cut to the precision."""
        if self.prec_present:
            s = s[: self.prec]
        self.pad(s)

    def fmt_q(self, s: str) -> None:
        """Format a quoted string."""
        if self.prec_present:
            s = s[: self.prec]
        if self.sharp and "`" not in s and all(c == "\t" or (c.isprintable() and c != "\ufeff")
                                              for c in s):
            self.pad("`" + s + "`")
        else:
            self.pad(go_quote(s, self.plus))

    def fmt_hex(self, b: bytes, verb: str) -> None:
        """Format bytes in hex."""
        if self.prec_present:
            b = b[: self.prec]
        digits = "0123456789ABCDEF" if verb == "X" else "0123456789abcdef"
        parts = []
        for i, c in enumerate(b):
            prefix = ""
            if self.sharp and (i == 0 or self.space):
                prefix = "0" + verb
            sep = " " if self.space and i > 0 else ""
            parts.append(sep + prefix + digits[c >> 4] + digits[c & 15])
        zero, self.zero = self.zero, False
        self.pad("".join(parts))
        self.zero = zero

    def fmt_bytes(self, b: bytes, verb: str, name: str) -> None:
        """Format a byte slice for a verb."""
        if verb in "vd":
            if self.sharp_v:
                self.buf.append(name + "{" + ", ".join(f"0x{c:x}" for c in b) + "}")
            else:
                self.buf.append("[")
                for i, c in enumerate(b):
                    if i:
                        self.buf.append(" ")
                    self.fmt_int(c, 10, verb, "0123456789abcdef")
                self.buf.append("]")
        elif verb == "s":
            self.fmt_s(b.decode("utf-8", "surrogateescape"))
        elif verb in "xX":
            self.fmt_hex(b, verb)
        elif verb == "q":
            self.fmt_q(b.decode("utf-8", "surrogateescape"))
        else:
            self.print_slice_plain(b, verb)

    def print_slice_plain(self, b: bytes, verb: str) -> None:
        """Format each byte of a slice with a numeric verb."""
        self.buf.append("[")
        for i, c in enumerate(b):
            if i:
                self.buf.append(" ")
            self.fmt_integer(c, False, verb, V(c, UINT8))
        self.buf.append("]")

    def fmt_pointer(self, v: V, verb: str) -> None:
        """Format a pointer, map, slice or function value as an address."""
        t = v.t
        assert t is not None
        if t.kind not in ("ptr", "map", "slice", "func", "chan"):
            self.bad_verb(verb, v)
            return
        u = 0 if v.x is None else _FAKE_ADDRESS
        if verb == "v":
            if self.sharp_v:
                self.buf.append("(" + t.name + ")(" + ("nil" if u == 0 else hex(u)) + ")")
            elif u == 0:
                self.pad("<nil>")
            else:
                self.fmt_0x64(u, not self.sharp)
        elif verb == "p":
            self.fmt_0x64(u, not self.sharp)
        elif verb in "bodxX":
            self.fmt_integer(u, False, verb, v)
        else:
            self.bad_verb(verb, v)


def _sharp_float(num: str, verb: str, prec: int) -> str:
    """Go's ``#`` flag for floats: keep a decimal point, and trailing zeros for %g."""
    digits = (6 if prec == -1 else prec) if verb in "vgGxX" else 0
    sign = num[0] if num[0] in "+-" else ""
    body = num[len(sign):]
    tail = ""
    cut = next((i for i, c in enumerate(body) if c in "pP" or (
        c in "eE" and verb not in "xX")), len(body))
    body, tail = body[:cut], body[cut:]
    seen = False
    for c in body:
        if c == ".":
            continue
        if c != "0":
            seen = True
        if seen:
            digits -= 1
    if "." not in body:
        if body == "0":
            digits -= 1
        body += "."
    return sign + body + "0" * max(digits, 0) + tail
