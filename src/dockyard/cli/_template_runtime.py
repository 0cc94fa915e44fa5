"""Execution side of :mod:`dockyard.cli.template`: Go value printing, functions, executor.

Private to the template module, which parses templates and turns :class:`ExecFailure`
into :class:`~dockyard.cli.template.TemplateError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

__all__ = ["HEADER_FUNCS", "NOVAL", "FUNCS", "Executor", "ExecFailure", "go_json", "go_sprint"]

NOVAL: Any = object()  # "no value" (Go's invalid reflect.Value)
_NOVAL = NOVAL
Node = tuple[Any, ...]


class ExecFailure(Exception):
    """A template failed while executing; the message is Docker's full error text."""

def _go_type(value: Any) -> str:
    names = {str: "string", bool: "bool", int: "int", float: "float64", type(None): "<nil>"}
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    return names.get(type(value), type(value).__name__)


def _go_float(value: float, json: bool = False) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return "NaN" if value != value else ("+Inf" if value > 0 else "-Inf")
    sign, digits, exp = Decimal(repr(value)).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    exp10 = len(digits) - 1 + int(exp)
    use_exp = (abs(value) < 1e-6 or abs(value) >= 1e21) if json else not -4 <= exp10 < 21
    if use_exp and value != 0:
        mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
        e = f"{'-' if exp10 < 0 else '+'}{abs(exp10):0{1 if json else 2}d}"
        return f"{'-' if sign else ''}{mant}e{e}"
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def go_sprint(value: Any) -> str:
    """Print a value as Go's ``fmt.Sprint`` prints the equivalent ``interface{}``.

    Args:
        value: A JSON-shaped Python value.

    Returns:
        E.g. ``[a b]`` for a list, ``map[a:1 b:2]`` for a dict, ``<nil>`` for None.
    """
    if value is None or value is _NOVAL:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{go_sprint(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_sprint(v) for v in value) + "]"
    return str(value)


def _json_str(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        c = m.group(0)
        if c in '"\\':
            return "\\" + c
        named = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
        return named.get(c) or ("\\ufffd" if 0xD800 <= ord(c) < 0xE000 else f"\\u{ord(c):04x}")

    return '"' + re.sub(r'["\\\x00-\x1f\u2028\u2029\ud800-\udfff]', repl, text) + '"'


def go_json(value: Any) -> str:
    """Encode a value like Docker's template ``json`` function (Go's ``encoding/json``).

    Args:
        value: A JSON-shaped Python value.

    Returns:
        Compact JSON, map keys sorted, HTML characters unescaped; ``""`` for NaN/Inf.
    """
    try:
        return _json(value)
    except ValueError:
        return ""


def _json(value: Any) -> str:
    if value is None or value is _NOVAL:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _json_str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(value)
        return _go_float(value, json=True)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Mapping):
        items = (f"{_json_str(str(k))}:{_json(value[k])}" for k in sorted(value, key=str))
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_json(v) for v in value) + "]"
    return _json_str(str(value))


class _FuncError(Exception):
    def __init__(self, msg: str, calling: bool = True) -> None:
        super().__init__(msg)
        self.calling = calling


def _truth(v: Any) -> bool:
    if v is None or v is _NOVAL:
        return False
    if isinstance(v, bool | int | float):
        return v != 0
    return len(v) > 0 if isinstance(v, str | list | tuple | Mapping) else True


def _want(v: Any, kind: type, go: str) -> Any:
    if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
        raise _FuncError(f"wrong type for value; expected {go}; got {_go_type(v)}", False)
    return v


def _index(item: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(item, Mapping):
            item = item.get(_want(key, str, "string"))
        elif isinstance(item, list | tuple | str):
            _want(key, int, "int")
            if not 0 <= key < len(item):
                raise _FuncError(f"index out of range: {key}")
            item = item.encode()[key] if isinstance(item, str) else item[key]
        else:
            raise _FuncError("index of untyped nil" if item is None
                             else f"can't index item of type {_go_type(item)}")
    return item


def _kind(v: Any) -> str:
    if v is None or isinstance(v, Mapping | list | tuple):
        raise _FuncError("invalid type for comparison")
    return "bool" if isinstance(v, bool) else "number" if isinstance(v, int | float) else "str"


def _eq(a: Any, *others: Any) -> bool:
    if not others:
        raise _FuncError("missing argument for comparison")
    for b in others:
        if _kind(a) != _kind(b):
            raise _FuncError("incompatible types for comparison")
        if a == b:
            return True
    return False


def _lt(a: Any, b: Any) -> bool:
    if _kind(a) != _kind(b) or _kind(a) == "bool":
        raise _FuncError("incompatible types for comparison" if _kind(a) != _kind(b)
                         else "invalid type for comparison")
    return bool(a < b)


def _print(*args: Any) -> str:
    parts = [go_sprint(a) for a in args]
    return "".join(("" if i == 0 or isinstance(args[i - 1], str) or isinstance(a, str) else " ")
                   + parts[i] for i, a in enumerate(args))


def _printf(fmt: str, *args: Any) -> str:
    used = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal used
        flags, width, prec, verb = m.groups()
        if verb == "%":
            return "%"
        if used >= len(args):
            return f"%!{verb}(MISSING)"
        v, used = args[used], used + 1
        number = isinstance(v, int | float) and not isinstance(v, bool)
        if verb in "sv":
            s = go_sprint(v)[: int(prec)] if prec and isinstance(v, str) else go_sprint(v)
        elif verb == "q" and isinstance(v, str):
            s = _json_str(v)
        elif verb == "d" and isinstance(v, int) and not isinstance(v, bool):
            s = str(v)
        elif verb in "xX" and ((number and isinstance(v, int)) or isinstance(v, str)):
            s = v.encode().hex() if isinstance(v, str) else format(v, "x")
            s = s.upper() if verb == "X" else s
        elif verb in "eEfFgG" and number:
            s = f"%{'.' + prec if prec else ''}{verb}" % v
        elif verb == "t" and isinstance(v, bool):
            s = go_sprint(v)
        else:
            return f"%!{verb}({_go_type(v)}={go_sprint(v)})"
        pad = max(0, int(width or 0) - len(s))
        if "-" in flags:
            return s + " " * pad
        if "0" in flags and number:
            return s[0] + "0" * pad + s[1:] if s[:1] == "-" else "0" * pad + s
        return " " * pad + s

    out = re.sub(r"%([-+# 0]*)(\d*)(?:\.(\d*))?([a-zA-Z%])", repl, _want(fmt, str, "string"))
    if used < len(args):
        extra = ", ".join(f"{_go_type(a)}={go_sprint(a)}" for a in args[used:])
        out += f"%!(EXTRA {extra})"
    return out


def _title(s: str) -> str:
    out, prev = [], " "
    for c in _want(s, str, "string"):
        sep = not (prev.isalnum() or prev == "_") if prev.isascii() else prev.isspace()
        out.append(c.upper() if sep else c)
        prev = c
    return "".join(out)


def _truncate(s: str, n: int) -> str:
    raw = _want(s, str, "string").encode()
    return s if len(raw) < _want(n, int, "int") else raw[:n].decode(errors="ignore")


FUNCS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "and": (lambda *a: next((x for x in a if not _truth(x)), a[-1]), 1, 99),
    "or": (lambda *a: next((x for x in a if _truth(x)), a[-1]), 1, 99),
    "not": (lambda a: not _truth(a), 1, 1),
    "len": (lambda a: len(a.encode()) if isinstance(a, str) else len(a) if isinstance(
        a, list | tuple | Mapping) else _index(None, 0) if a is None else (
        _ for _ in ()).throw(_FuncError(f"len of type {_go_type(a)}")), 1, 1),
    "index": (_index, 1, 99),
    "print": (_print, 0, 99),
    "printf": (_printf, 1, 99),
    "println": (lambda *a: " ".join(go_sprint(x) for x in a) + "\n", 0, 99),
    "eq": (_eq, 1, 99),
    "ne": (lambda a, b: not _eq(a, b), 2, 2),
    "lt": (_lt, 2, 2),
    "le": (lambda a, b: _lt(a, b) or _eq(a, b), 2, 2),
    "gt": (lambda a, b: not (_lt(a, b) or _eq(a, b)), 2, 2),
    "ge": (lambda a, b: not _lt(a, b), 2, 2),
    "json": (go_json, 1, 1),
    "split": (lambda s, sep: list(_want(s, str, "string")) if sep == "" else s.split(
        _want(sep, str, "string")), 2, 2),
    "join": (lambda xs, sep: _want(sep, str, "string").join(
        x if isinstance(x, str) else go_sprint(x) for x in _want(xs, list, "[]string")), 2, 2),
    "title": (_title, 1, 1),
    "lower": (lambda s: _want(s, str, "string").lower(), 1, 1),
    "upper": (lambda s: _want(s, str, "string").upper(), 1, 1),
    "pad": (lambda s, a, b: s if s == "" else " " * _want(a, int, "int") + _want(
        s, str, "string") + " " * _want(b, int, "int"), 3, 3),
    "truncate": (_truncate, 2, 2),
}
HEADER_FUNCS = dict(FUNCS, **{
    name: ((lambda v, *_: v), n, n) for name, n in
    (("json", 1), ("split", 2), ("join", 2), ("title", 1), ("lower", 1), ("upper", 1),
     ("pad", 3), ("truncate", 2))})


def _text(node: Node) -> str:
    if node[0] == "pipe":
        return "(" + " | ".join(" ".join(map(_text, c)) for c in node[2][2]) + ")"
    return str(node[-1])


class Executor:
    def __init__(self, text: str, root: Any, funcs: Mapping[str, Any], missingkey: str,
                 type_name: str | None) -> None:
        self.text, self.root, self.funcs = text, root, funcs
        self.missingkey, self.type_name = missingkey, type_name
        self.vars: list[tuple[str, Any]] = [("$", root)]

    def fail(self, node: Node, msg: str) -> ExecFailure:
        pos = node[1]
        line = self.text.count("\n", 0, pos) + 1
        col = len(self.text[self.text.rfind("\n", 0, pos) + 1 : pos].encode())
        return ExecFailure(f'template parsing error: template: :{line}:{col}: executing "" '
                             f"at <{_text(node)}>: {msg}")

    def run(self, nodes: list[Node], dot: Any, out: list[str]) -> None:
        for node in nodes:
            kind = node[0]
            if kind == "text":
                out.append(node[2])
                continue
            mark = len(self.vars)
            value = self.pipe(dot, node[2], bind=kind != "range")
            if kind == "action":
                if not node[2][0]:
                    out.append("<no value>" if value is None or value is _NOVAL
                               else go_sprint(value))
                continue
            if kind == "range":
                self.range(node, value, out)
            elif _truth(value):
                self.run(node[3], value if kind == "with" else dot, out)
            else:
                self.run(node[4], dot, out)
            del self.vars[mark:]

    def range(self, node: Node, value: Any, out: list[str]) -> None:
        if isinstance(value, Mapping):
            items = [(k, value[k]) for k in sorted(value)]
        elif isinstance(value, list | tuple):
            items = list(enumerate(value))
        elif value is None or value is _NOVAL:
            items = []
        else:
            first = node[2][2][-1][0]
            ctx = (first[0], first[1], " | ".join(" ".join(map(_text, c)) for c in node[2][2]))
            raise self.fail(ctx, f"range can't iterate over {go_sprint(value)}")
        if not items:
            self.run(node[4], value, out)
        names = node[2][0]
        for key, item in items:
            mark = len(self.vars)
            bound = [item] if len(names) == 1 else [key, item]
            self.vars.extend(zip(names, bound, strict=False))
            self.run(node[3], item, out)
            del self.vars[mark:]

    def pipe(self, dot: Any, pipe: Node, bind: bool = True) -> Any:
        decls, assign, cmds = pipe
        value = _NOVAL
        for cmd in cmds:
            value = self.command(dot, cmd, value)
        for name in decls if bind else ():
            if assign:
                index = max(i for i, (n, _) in enumerate(self.vars) if n == name)
                self.vars[index] = (name, value)
            else:
                self.vars.append((name, value))
        return value

    def command(self, dot: Any, cmd: list[Node], final: Any) -> Any:
        first = cmd[0]
        if first[0] == "func":
            args = [self.arg(dot, a) for a in cmd[1:]]
            return self.call(first, cmd, [*args, final] if final is not _NOVAL else args)
        if len(cmd) > 1 or final is not _NOVAL:
            raise self.fail(first, f"can't give argument to non-function {_text(first)}")
        return self.arg(dot, first)

    def call(self, fnode: Node, cmd: list[Node], args: list[Any]) -> Any:
        name = fnode[2]
        func, low, high = self.funcs[name]
        ctx = (fnode[0], fnode[1], " ".join(map(_text, cmd)))
        if not low <= len(args) <= high:
            want = f"at least {low}" if high == 99 else str(low)
            raise self.fail(ctx, f"wrong number of args for {name}: want {want} got {len(args)}")
        try:
            return func(*[None if a is _NOVAL else a for a in args])
        except _FuncError as exc:
            raise self.fail(ctx, f"error calling {name}: {exc}" if exc.calling
                            else str(exc)) from None

    def arg(self, dot: Any, node: Node) -> Any:
        kind = node[0]
        if kind == "field":
            return self.walk(dot, node[2], node)
        if kind == "chain":
            return self.walk(self.arg(dot, node[2]), node[3], node)
        if kind == "var":
            return next(v for n, v in reversed(self.vars) if n == node[2])
        if kind == "func":
            return self.call(node, [node], [])
        if kind == "pipe":
            return self.pipe(dot, node[2], bind=False)
        return dot if kind == "dot" else node[2]

    def walk(self, recv: Any, names: tuple[str, ...], node: Node) -> Any:
        for name in names:
            if isinstance(recv, Mapping):
                if name in recv:
                    recv = recv[name]
                elif self.missingkey != "error":
                    recv = None
                elif self.type_name and recv is self.root:
                    raise self.fail(node, f"can't evaluate field {name} in type {self.type_name}")
                else:
                    raise self.fail(node, f'map has no entry for key "{name}"')
            elif recv is None or recv is _NOVAL:
                raise self.fail(node, f"nil pointer evaluating interface {{}}.{name}")
            else:
                raise self.fail(node, f"can't evaluate field {name} in type {_go_type(recv)}")
        return recv
