"""Go's ``fmt`` printing of template values: ``Sprint``, ``Sprintln`` and composites.

Arguments are :class:`~dockyard.cli.gotemplate.types.V` values as Go's ``any`` holds
them (``INVALID`` for a nil ``any``). Maps print in sorted key order, structs as
``{a b}`` (``%+v``: ``{A:a B:b}``, ``%#v``: Go syntax), types with a ``String`` method
through it. Pointers below the top level print as a fixed stand-in address (Go prints
the real, varying one). ``Sprintf`` is in :mod:`dockyard.cli.gotemplate.printf`.
"""

from __future__ import annotations

from dockyard.cli.gotemplate.fmtbase import Formatter
from dockyard.cli.gotemplate.strconv import go_quote
from dockyard.cli.gotemplate.types import (
    FLOAT_KINDS,
    INT_KINDS,
    UINT_KINDS,
    V,
    dyn,
    elem_value,
    field_value,
    indirect_interface,
    sorted_keys,
)

__all__ = ["Printer", "go_quote", "print_value_top", "sprint", "sprintln", "to_arg"]


def to_arg(v: V) -> V:
    """The value an ``any`` parameter receives: interfaces unwrapped, nil as INVALID."""
    return indirect_interface(v) if v.t is not None and v.t.kind == "interface" else v


class Printer(Formatter):
    """Prints operands, composite values included (Go's ``pp``)."""

    # -- arguments ------------------------------------------------------------------------

    def print_arg(self, v: V, verb: str) -> None:
        """Print an operand for a verb."""
        if v.t is None:
            if verb in "Tv":
                self.pad("<nil>")
            else:
                self.bad_verb(verb, v)
            return
        if verb == "T":
            self.fmt_s(v.t.name)
            return
        if verb == "p":
            self.fmt_pointer(v, "p")
            return
        if not self.handle_methods(v, verb):
            self.print_value(v, verb, 0)

    def handle_methods(self, v: V, verb: str) -> bool:
        """Print through ``String``/``GoString`` when the type has it."""
        t = v.t
        assert t is not None
        if t.kind == "ptr" and t.elem is not None and t.elem.stringer is not None:
            if v.x is None:
                if verb in "vsxXq" and not self.sharp_v:
                    self.fmt_s("<nil>")
                    return True
                return False
            t = t.elem
        if self.sharp_v:
            if t.gostring is None:
                return False
            self.fmt_s(t.gostring(v.x))
            return True
        if t.stringer is None or verb not in "vsxXq":
            return False
        self.fmt_string(t.stringer(v.x), verb, v)
        return True

    def print_value(self, v: V, verb: str, depth: int) -> None:
        """Print a value (``depth``: nesting level, as Go counts it)."""
        if depth > 0 and v.t is not None and self.handle_methods(v, verb):
            return
        t = v.t
        if t is None:
            if depth == 0:
                self.fmt_s("<invalid reflect.Value>")
            elif verb == "v":
                self.fmt_s("<nil>")
            else:
                self.bad_verb(verb, v)
            return
        kind, x = t.kind, v.x
        if kind == "bool":
            self.fmt_bool(bool(x), verb, v)
        elif kind in INT_KINDS or kind in UINT_KINDS:
            self.fmt_integer(int(x), kind in INT_KINDS, verb, v)
        elif kind in FLOAT_KINDS:
            self.fmt_float(float(x), verb, v)
        elif kind == "complex128":
            self.fmt_complex(complex(x), verb, v)
        elif kind == "string":
            self.fmt_string(x, verb, v)
        elif kind == "map":
            self.print_map(v, verb, depth)
        elif kind == "struct":
            self.print_struct(v, verb, depth)
        elif kind == "interface":
            inner = dyn(x, t.number_mode)
            if inner.t is None:
                self.buf.append(t.name + "(nil)" if self.sharp_v else "<nil>")
            else:
                self.print_value(inner, verb, depth + 1)
        elif kind == "slice":
            self.print_slice(v, verb, depth)
        elif kind == "ptr":
            if depth == 0 and x is not None and t.elem is not None and t.elem.kind in (
                    "struct", "map", "slice"):
                self.buf.append("&")
                self.print_value(elem_value(x, t.elem), verb, depth + 1)
            else:
                self.fmt_pointer(v, verb)
        else:
            self.fmt_pointer(v, verb)

    def print_map(self, v: V, verb: str, depth: int) -> None:
        """Print a map, keys sorted."""
        t, x = v.t, v.x
        assert t is not None
        assert t.elem is not None
        assert t.key is not None
        if self.sharp_v:
            if x is None:
                self.buf.append(t.name + "(nil)")
                return
            self.buf.append(t.name + "{")
        else:
            self.buf.append("map[")
        for i, key in enumerate(sorted_keys(x)):
            if i:
                self.buf.append(", " if self.sharp_v else " ")
            self.print_value(elem_value(key, t.key), verb, depth + 1)
            self.buf.append(":")
            self.print_value(elem_value(x[key], t.elem), verb, depth + 1)
        self.buf.append("}" if self.sharp_v else "]")

    def print_struct(self, v: V, verb: str, depth: int) -> None:
        """Print a struct."""
        t = v.t
        assert t is not None
        if self.sharp_v:
            self.buf.append(t.name)
        self.buf.append("{")
        for i, f in enumerate(t.fields):
            if i:
                self.buf.append(", " if self.sharp_v else " ")
            if self.plus_v or self.sharp_v:
                self.buf.append(f.name + ":")
            self.print_value(field_value(v, (f,)), verb, depth + 1)
        self.buf.append("}")

    def print_slice(self, v: V, verb: str, depth: int) -> None:
        """Print a slice."""
        t, x = v.t, v.x
        assert t is not None
        assert t.elem is not None
        if t.elem.kind == "uint8" and (verb in "sqxX" or isinstance(x, bytes)):
            self.fmt_bytes(bytes(x or b""), verb, t.name)
            return
        if self.sharp_v:
            if x is None:
                self.buf.append(t.name + "(nil)")
                return
            self.buf.append(t.name + "{")
        else:
            self.buf.append("[")
        for i, item in enumerate(x or ()):
            if i:
                self.buf.append(", " if self.sharp_v else " ")
            self.print_value(elem_value(item, t.elem), verb, depth + 1)
        self.buf.append("}" if self.sharp_v else "]")

def _is_string(v: V) -> bool:
    return v.t is not None and v.t.kind == "string"


def sprint(args: list[V]) -> str:
    """``fmt.Sprint``: a space between operands when neither is a string."""
    p = Printer()
    prev_string = False
    for i, arg in enumerate(args):
        is_string = _is_string(arg)
        if i > 0 and not is_string and not prev_string:
            p.buf.append(" ")
        p.print_arg(arg, "v")
        prev_string = is_string
    return "".join(p.buf)


def sprintln(args: list[V]) -> str:
    """``fmt.Sprintln``: operands separated by spaces, then a newline."""
    p = Printer()
    for i, arg in enumerate(args):
        if i:
            p.buf.append(" ")
        p.print_arg(arg, "v")
    return "".join(p.buf) + "\n"


def print_value_top(v: V) -> str:
    """Print one value as ``fmt.Fprint`` does (the text/template action output)."""
    p = Printer()
    p.print_arg(v, "v")
    return "".join(p.buf)
