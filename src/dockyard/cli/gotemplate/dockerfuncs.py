"""The functions the Docker CLI adds to templates (docker/cli ``templates/templates.go``).

``json`` (``encoding/json`` with HTML escaping off), ``split``, ``join``, ``title``
(``strings.Title``), ``lower``, ``upper``, ``pad`` and ``truncate``, with their Go
signatures (``join`` wants a ``[]string``, ``truncate`` an ``int`` …), and the
``HeaderFunctions`` that replace most of them when a ``table`` header is rendered.
"""

from __future__ import annotations

from collections.abc import Mapping

from dockyard.cli.gotemplate.funcs import BUILTINS, Func, FuncError
from dockyard.cli.gotemplate.gofmt import to_arg
from dockyard.cli.gotemplate.jsonenc import JSONError, marshal
from dockyard.cli.gotemplate.strconv import from_bytes, to_bytes
from dockyard.cli.gotemplate.types import ANY, INT, SLICE_STRING, STRING, V

__all__ = ["BASIC_FUNCS", "HEADER_FUNCS", "go_lower", "go_title", "go_upper"]


def _json(v: V) -> str:
    try:
        return marshal(to_arg(v), escape_html=False).strip(" \t\r\n")
    except JSONError as exc:
        raise FuncError(str(exc)) from None


def _simple_case(c: str, upper: bool) -> str:
    if c == "\u0130" and not upper:
        return "i"
    mapped = c.upper() if upper else c.lower()
    return mapped if len(mapped) == 1 else c


def go_upper(s: str) -> str:
    """``strings.ToUpper``: simple (one-to-one) Unicode case mapping."""
    return s.upper() if s.isascii() else "".join(_simple_case(c, True) for c in s)


def go_lower(s: str) -> str:
    """``strings.ToLower``: simple (one-to-one) Unicode case mapping."""
    return s.lower() if s.isascii() else "".join(_simple_case(c, False) for c in s)


def _separator(c: str) -> bool:
    if c <= "\x7f":
        return not (c.isalnum() or c == "_")
    if c.isalpha() or c.isdecimal():
        return False
    return c.isspace()


def go_title(s: str) -> str:
    """``strings.Title``: title-case the first letter of each word."""
    out = []
    prev = " "
    for c in s:
        if _separator(prev):
            mapped = c.title()
            out.append(mapped if len(mapped) == 1 else _simple_case(c, True))
        else:
            out.append(c)
        prev = c
    return "".join(out)


def _pad(s: str, prefix: int, suffix: int) -> str:
    if s == "":
        return s
    if prefix < 0 or suffix < 0:
        raise FuncError("strings: negative Repeat count")
    return " " * prefix + s + " " * suffix


def _truncate(s: str, length: int) -> str:
    raw = to_bytes(s)
    if len(raw) < length:
        return s
    if length < 0:
        raise FuncError(f"runtime error: slice bounds out of range [:{length}]")
    return from_bytes(raw[:length])


def _split(s: str, sep: str) -> list[str]:
    if sep == "":
        return list(s)
    return s.split(sep)


def _join(elems: list[str] | None, sep: str) -> str:
    return sep.join(elems or ())


DOCKER_FUNCS: Mapping[str, Func] = {
    "json": Func(_json, (ANY,), STRING),
    "split": Func(_split, (STRING, STRING), SLICE_STRING),
    "join": Func(_join, (SLICE_STRING, STRING), STRING),
    "title": Func(go_title, (STRING,), STRING),
    "lower": Func(go_lower, (STRING,), STRING),
    "upper": Func(go_upper, (STRING,), STRING),
    "pad": Func(_pad, (STRING, INT, INT), STRING),
    "truncate": Func(_truncate, (STRING, INT), STRING),
}

#: Go's builtins plus Docker's functions: what ``--format`` templates may call.
BASIC_FUNCS: Mapping[str, Func] = {**BUILTINS, **DOCKER_FUNCS}


def _same(v: str, *_: object) -> str:
    return v


#: The functions a ``table`` header is rendered with (``pad`` keeps its real meaning).
HEADER_FUNCS: Mapping[str, Func] = {
    **BASIC_FUNCS,
    "json": Func(_same, (STRING,), STRING),
    "split": Func(_same, (STRING, STRING), STRING),
    "join": Func(_same, (STRING, STRING), STRING),
    "title": Func(_same, (STRING,), STRING),
    "lower": Func(_same, (STRING,), STRING),
    "upper": Func(_same, (STRING,), STRING),
    "truncate": Func(_same, (STRING, INT), STRING),
}
