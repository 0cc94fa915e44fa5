"""Go's ``fmt.Sprintf``: directives, ``*`` widths, ``[n]`` indexes and their error forms."""

from __future__ import annotations

from dockyard.cli.gotemplate.gofmt import Printer
from dockyard.cli.gotemplate.types import INT_KINDS, UINT_KINDS, V

__all__ = ["sprintf"]

_MAX_WIDTH = 1_000_000


def _parse_num(s: str, i: int, end: int) -> tuple[int, bool, int]:
    num, isnum = 0, False
    while i < end and "0" <= s[i] <= "9":
        if num > _MAX_WIDTH:
            return 0, False, end
        num, isnum, i = num * 10 + int(s[i]), True, i + 1
    return num, isnum, i


def _int_from_arg(args: list[V], n: int) -> tuple[int, bool, int]:
    if n >= len(args):
        return 0, False, n
    v = args[n]
    ok = v.t is not None and (v.t.kind in INT_KINDS or v.t.kind in UINT_KINDS)
    num = int(v.x) if ok else 0
    if abs(num) > _MAX_WIDTH:
        return 0, False, n + 1
    return num, ok, n + 1


def sprintf(fmt: str, args: list[V]) -> str:
    """``fmt.Sprintf``."""
    p = Printer()
    buf = p.buf
    end = len(fmt)
    arg_num = 0
    reordered = False
    i = 0
    while i < end:
        good_arg = True
        j = fmt.find("%", i)
        if j < 0:
            buf.append(fmt[i:])
            break
        buf.append(fmt[i:j])
        i = j + 1
        p.clear()
        while i < end and fmt[i] in "#0+- ":
            c = fmt[i]
            if c == "#":
                p.sharp = True
            elif c == "0":
                p.zero = not p.minus
            elif c == "+":
                p.plus = True
            elif c == "-":
                p.minus, p.zero = True, False
            else:
                p.space = True
            i += 1
        arg_num, i, after_index, r, good_arg = _arg_number(arg_num, fmt, i, len(args), good_arg)
        reordered |= r
        if i < end and fmt[i] == "*":
            i += 1
            p.wid, p.wid_present, arg_num = _int_from_arg(args, arg_num)
            if not p.wid_present:
                buf.append("%!(BADWIDTH)")
            if p.wid < 0:
                p.wid, p.minus, p.zero = -p.wid, True, False
            after_index = False
        else:
            p.wid, p.wid_present, i = _parse_num(fmt, i, end)
            if after_index and p.wid_present:
                good_arg = False
        if i + 1 < end and fmt[i] == ".":
            i += 1
            if after_index:
                good_arg = False
            arg_num, i, after_index, r, good_arg = _arg_number(arg_num, fmt, i, len(args),
                                                               good_arg)
            reordered |= r
            if i < end and fmt[i] == "*":
                i += 1
                p.prec, p.prec_present, arg_num = _int_from_arg(args, arg_num)
                if p.prec < 0:
                    p.prec, p.prec_present = 0, False
                if not p.prec_present:
                    buf.append("%!(BADPREC)")
                after_index = False
            else:
                p.prec, p.prec_present, i = _parse_num(fmt, i, end)
                if not p.prec_present:
                    p.prec, p.prec_present = 0, True
        if not after_index:
            arg_num, i, after_index, r, good_arg = _arg_number(arg_num, fmt, i, len(args),
                                                               good_arg)
            reordered |= r
        if i >= end:
            buf.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            buf.append("%")
        elif not good_arg:
            buf.append(f"%!{verb}(BADINDEX)")
        elif arg_num >= len(args):
            buf.append(f"%!{verb}(MISSING)")
        else:
            if verb == "v":
                p.sharp_v, p.sharp = p.sharp, False
                p.plus_v, p.plus = p.plus, False
            p.print_arg(args[arg_num], verb)
            arg_num += 1
    if not reordered and arg_num < len(args):
        p.clear()
        buf.append("%!(EXTRA ")
        for k, arg in enumerate(args[arg_num:]):
            if k:
                buf.append(", ")
            if arg.t is None:
                buf.append("<nil>")
            else:
                buf.append(arg.t.name + "=")
                p.print_arg(arg, "v")
        buf.append(")")
    return "".join(buf)


def _arg_number(arg_num: int, fmt: str, i: int, nargs: int,
                good: bool) -> tuple[int, int, bool, bool, bool]:
    if i >= len(fmt) or fmt[i] != "[":
        return arg_num, i, False, False, good
    close = fmt.find("]", i + 1)
    if len(fmt) - i < 3 or close < 0:
        return arg_num, i + 1, False, True, False
    num, ok, newi = _parse_num(fmt, i + 1, close)
    if not ok or newi != close:
        return arg_num, close + 1, False, True, False
    index = num - 1
    if 0 <= index < nargs:
        return index, close + 1, True, True, good
    return arg_num, close + 1, True, True, False
