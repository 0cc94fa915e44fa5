"""The functions templates call: Go's builtins (``text/template/funcs.go``).

Each function is a :class:`Func` carrying its Go signature, which the executor uses to
check and convert arguments exactly as Go's ``evalCall`` does. Parameters typed
``reflect.Value`` or ``any`` receive :class:`~dockyard.cli.gotemplate.types.V` values;
others receive plain Python values. A :class:`FuncError` becomes ``error calling
NAME: MESSAGE``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dockyard.cli.gotemplate.gofmt import sprint, sprintln, to_arg
from dockyard.cli.gotemplate.printf import sprintf
from dockyard.cli.gotemplate.strconv import from_bytes, to_bytes
from dockyard.cli.gotemplate.types import (
    ANY,
    BOOL,
    FLOAT_KINDS,
    INT,
    INT_KINDS,
    NILLABLE,
    REFLECT_VALUE,
    STRING,
    UINT8,
    UINT_KINDS,
    GoType,
    V,
    assignable,
    elem_value,
    indirect,
    indirect_interface,
    is_nil,
    zero,
)

__all__ = ["BUILTINS", "Func", "FuncError", "is_true", "truth"]

RV = REFLECT_VALUE


class FuncError(Exception):
    """A template function failed; Go reports ``error calling NAME: MESSAGE``."""


class Func:
    """A Go function: parameter types (the last one repeated if variadic) and result.

    Args:
        fn: The implementation.
        params: Parameter types; for a variadic function the last is the element type.
        result: Result type; ``REFLECT_VALUE`` when ``fn`` returns a :class:`V` itself.
        variadic: Whether the last parameter is ``...T``.
    """

    __slots__ = ("fn", "params", "result", "variadic")

    def __init__(self, fn: Callable[..., Any], params: tuple[GoType, ...], result: GoType,
                 variadic: bool = False) -> None:
        self.fn, self.params, self.result, self.variadic = fn, params, result, variadic


def is_true(v: V) -> tuple[bool, bool]:
    """Go's ``isTrue``: (truth, ok) — ok is False for values with no truth (chan, func)."""
    t, x = v.t, v.x
    if t is None:
        return False, True
    kind = t.kind
    if kind in ("slice", "map", "string", "array"):
        return bool(x), True
    if kind in NILLABLE:
        return x is not None, True
    if kind == "struct":
        return True, True
    if kind == "bool" or kind in INT_KINDS or kind in UINT_KINDS or kind in FLOAT_KINDS:
        return bool(x), True
    if kind == "complex128":
        return x != 0, True
    return False, False


def truth(v: V) -> bool:
    """The truth of a value (interfaces looked through)."""
    return is_true(indirect_interface(v))[0]


def _not(v: V) -> bool:
    return not truth(v)


def _length(v: V) -> int:
    item, nil = indirect(v)
    if nil:
        raise FuncError("len of nil pointer")
    if item.t is None:
        raise FuncError("reflect: call of reflect.Value.Type on zero Value")
    t = item.t
    if t is not None and t.kind in ("slice", "map", "array"):
        return len(item.x or ())
    if t is not None and t.kind == "string":
        return len(to_bytes(item.x))
    raise FuncError(f"len of type {t.name if t else '<nil>'}")


def _index_arg(index: V, cap: int) -> int:
    kind = index.kind
    if kind in INT_KINDS or kind in UINT_KINDS:
        x = int(index.x)
    elif kind == "invalid":
        raise FuncError("cannot index slice/array with nil")
    else:
        raise FuncError(f"cannot index slice/array with type {index.t.name if index.t else ''}")
    if x < 0 or x > cap:
        raise FuncError(f"index out of range: {x}")
    return x


def _prepare_key(index: V, key: GoType) -> V:
    if index.t is None:
        if key.kind not in NILLABLE:
            raise FuncError(f"value is nil; should be of type {key.name}")
        return zero(key)
    if assignable(index.t, key):
        return index
    int_like = INT_KINDS | UINT_KINDS
    if index.t.kind in int_like and key.kind in int_like:
        return V(index.x, key)
    raise FuncError(f"value has type {index.t.name}; should be {key.name}")


def _index(item: V, *indexes: V) -> V:
    item = indirect_interface(item)
    if item.t is None:
        raise FuncError("index of untyped nil")
    for raw in indexes:
        index = indirect_interface(raw)
        item, nil = indirect(item)
        if nil:
            raise FuncError("index of nil pointer")
        t = item.t
        assert t is not None
        if t.kind in ("slice", "array", "string"):
            seq = to_bytes(item.x) if t.kind == "string" else (item.x or ())
            x = _index_arg(index, len(seq))
            if x == len(seq):
                raise FuncError(f"reflect: {'string' if t.kind == 'string' else 'slice'} "
                                "index out of range")
            item = V(seq[x], UINT8) if t.kind == "string" else elem_value(seq[x], t.elem or ANY)
        elif t.kind == "map":
            assert t.key is not None
            assert t.elem is not None
            key = _prepare_key(index, t.key)
            mapping = item.x or {}
            item = elem_value(mapping[key.x], t.elem) if key.x in mapping else zero(t.elem)
        else:
            raise FuncError(f"can't index item of type {t.name}")
    return item


def _slice(item: V, *indexes: V) -> V:
    item = indirect_interface(item)
    t = item.t
    if t is None:
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    if t.kind == "string":
        if len(indexes) == 3:
            raise FuncError("cannot 3-index slice a string")
        seq: Any = to_bytes(item.x)
    elif t.kind in ("slice", "array"):
        seq = list(item.x or ())
    else:
        raise FuncError(f"can't slice item of type {t.name}")
    idx = [0, len(seq), len(seq)]
    for i, index in enumerate(indexes):
        idx[i] = _index_arg(indirect_interface(index), len(seq))
    if idx[0] > idx[1]:
        raise FuncError(f"invalid slice index: {idx[0]} > {idx[1]}")
    if len(indexes) == 3 and idx[1] > idx[2]:
        raise FuncError(f"invalid slice index: {idx[1]} > {idx[2]}")
    part = seq[idx[0] : idx[1]]
    if t.kind == "string":
        return V(from_bytes(part), t)
    return V(part if item.x is not None or part else None, t)


def _basic_kind(v: V) -> str:
    kind = v.kind
    if kind in INT_KINDS:
        return "int"
    if kind in UINT_KINDS:
        return "uint"
    if kind in FLOAT_KINDS:
        return "float"
    if kind == "complex128":
        return "complex"
    return kind if kind in ("bool", "string") else "invalid"


def _comparable(t: GoType) -> bool:
    if t.kind in ("map", "slice", "func"):
        return False
    if t.kind == "struct":
        return all(_comparable(f.type) for f in t.fields)
    return True


def _eq(arg1: V, *others: V) -> bool:
    arg1 = indirect_interface(arg1)
    if not others:
        raise FuncError("missing argument for comparison")
    k1 = _basic_kind(arg1)
    for raw in others:
        arg = indirect_interface(raw)
        k2 = _basic_kind(arg)
        if k1 != k2:
            if {k1, k2} == {"int", "uint"}:
                if int(arg1.x) == int(arg.x):
                    return True
                continue
            if arg1.t is not None and arg.t is not None:
                raise FuncError("incompatible types for comparison")
            continue
        if k1 != "invalid":
            if arg1.x == arg.x:
                return True
            continue
        if arg1.t is not None and arg.t is not None and arg1.t.kind != arg.t.kind:
            raise FuncError(f"non-comparable types {sprintf('%s', [arg1])}: {arg1.t.name}, "
                            f"{arg.t.name}: {sprintf('%s', [arg])}")
        if is_nil(arg1) or is_nil(arg):
            if is_nil(arg1) == is_nil(arg):
                return True
            continue
        assert arg.t is not None
        assert arg1.t is not None
        if not _comparable(arg.t):
            raise FuncError(f"non-comparable type {sprintf('%s', [arg])}: {arg.t.name}")
        same = arg1.x is arg.x if arg.t.kind == "ptr" else arg1.x == arg.x
        if arg1.t.name == arg.t.name and same:
            return True
    return False


def _lt(arg1: V, arg2: V) -> bool:
    arg1, arg2 = indirect_interface(arg1), indirect_interface(arg2)
    k1, k2 = _basic_kind(arg1), _basic_kind(arg2)
    if k1 == "invalid" or k2 == "invalid":
        raise FuncError("invalid type for comparison")
    if k1 != k2:
        if {k1, k2} == {"int", "uint"}:
            return int(arg1.x) < int(arg2.x)
        raise FuncError("incompatible types for comparison")
    if k1 in ("bool", "complex"):
        raise FuncError("invalid type for comparison")
    if k1 == "string":
        return bool(to_bytes(arg1.x) < to_bytes(arg2.x))
    return bool(arg1.x < arg2.x)


def _le(a: V, b: V) -> bool:
    return _lt(a, b) or _eq(a, b)


def _eval_args(args: tuple[V, ...]) -> str:
    if len(args) == 1 and args[0].t is STRING:
        return str(args[0].x)
    printable = []
    for arg in args:
        value = to_arg(arg)
        if value.kind == "ptr":
            value, _ = indirect(value)
        printable.append(V("<no value>", STRING) if value.t is None else value)
    return sprint(printable)


def _html(*args: V) -> str:
    s = _eval_args(args)
    table = {'"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "\0": "\ufffd"}
    return "".join(table.get(c, c) for c in s)


def _js(*args: V) -> str:
    out = []
    for c in _eval_args(args):
        code = ord(c)
        if c in "\\'\"<>&=":
            out.append({"\\": "\\\\", "'": "\\'", '"': '\\"'}.get(c, f"\\u{code:04X}"))
        elif code < 0x20:
            out.append(f"\\u{code:04X}")
        elif code >= 0x80 and not (c.isprintable() and not 0xDC80 <= code <= 0xDCFF):
            out.append(f"\\u{0xFFFD if 0xD800 <= code < 0xE000 else code:04X}")
        else:
            out.append(c)
    return "".join(out)


def _urlquery(*args: V) -> str:
    safe = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
    out = []
    for b in to_bytes(_eval_args(args)):
        out.append(chr(b) if b in safe else "+" if b == 0x20 else f"%{b:02X}")
    return "".join(out)


def _call(name: str, fn: V, *_args: V) -> V:
    fn = indirect_interface(fn)
    if fn.t is None:
        raise FuncError("call of nil")
    raise FuncError(f"non-function {name} of type {fn.t.name}")


def _and_or(arg: V, *_rest: V) -> V:
    return arg  # evaluated by the executor, which short-circuits


def _print(*args: V) -> str:
    return sprint([to_arg(a) for a in args])


def _println(*args: V) -> str:
    return sprintln([to_arg(a) for a in args])


def _printf(fmt: str, *args: V) -> str:
    return sprintf(fmt, [to_arg(a) for a in args])


BUILTINS: dict[str, Func] = {
    "and": Func(_and_or, (RV, RV), RV, variadic=True),
    "or": Func(_and_or, (RV, RV), RV, variadic=True),
    "not": Func(_not, (RV,), BOOL),
    "len": Func(_length, (RV,), INT),
    "index": Func(_index, (RV, RV), RV, variadic=True),
    "slice": Func(_slice, (RV, RV), RV, variadic=True),
    "call": Func(_call, (RV, RV), RV, variadic=True),
    "html": Func(_html, (ANY,), STRING, variadic=True),
    "js": Func(_js, (ANY,), STRING, variadic=True),
    "urlquery": Func(_urlquery, (ANY,), STRING, variadic=True),
    "print": Func(_print, (ANY,), STRING, variadic=True),
    "printf": Func(_printf, (STRING, ANY), STRING, variadic=True),
    "println": Func(_println, (ANY,), STRING, variadic=True),
    "eq": Func(_eq, (RV, RV), BOOL, variadic=True),
    "ne": Func(lambda a, b: not _eq(a, b), (RV, RV), BOOL),
    "lt": Func(_lt, (RV, RV), BOOL),
    "le": Func(_le, (RV, RV), BOOL),
    "gt": Func(lambda a, b: not _le(a, b), (RV, RV), BOOL),
    "ge": Func(lambda a, b: not _lt(a, b), (RV, RV), BOOL),
}
