"""Evaluation of pipelines, commands, fields and calls (the core of Go's ``exec.go``).

:class:`Evaluator` evaluates expressions exactly as Go's ``state`` does, including which
node an error is reported at (``s.at(node)``), the ``missingkey`` option, method calls
on typed values, argument checking against each function's Go signature and ``and``/
``or`` short-circuiting. :mod:`dockyard.cli.gotemplate.execute` walks the tree with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard.cli.gotemplate import nodes as N
from dockyard.cli.gotemplate.errors import ExecError
from dockyard.cli.gotemplate.funcs import Func, FuncError, truth
from dockyard.cli.gotemplate.strconv import go_quote
from dockyard.cli.gotemplate.types import (
    BOOL,
    COMPLEX128,
    FLOAT64,
    FLOAT_KINDS,
    INT,
    INT_KINDS,
    INVALID,
    NILLABLE,
    REFLECT_VALUE,
    STRING,
    UINT_KINDS,
    GoType,
    Method,
    V,
    assignable,
    dyn,
    elem_value,
    field_value,
    indirect,
    zero,
)

__all__ = ["MISSING", "Evaluator", "ExecError"]

MISSING = V(None, GoType("struct", "missingValType"))
_MISSING = MISSING


class Evaluator:
    """Evaluates expressions against a template set (Go's ``state``)."""

    def __init__(self, text: str, trees: Mapping[str, N.ListNode], funcs: Mapping[str, Func],
                 missingkey: str, parse_name: str) -> None:
        self.text, self.trees, self.funcs = text, trees, funcs
        self.missingkey, self.parse_name = missingkey, parse_name
        self.name = parse_name
        self.node: N.Node | None = None
        self.vars: list[tuple[str, V]] = []
        self.depth = 0
        self.out: list[str] = []

    # -- errors ---------------------------------------------------------------------------

    def error(self, msg: str) -> ExecError:
        """An error located at the current node, worded as Go words it."""
        if self.node is None:
            return ExecError(f"template: {self.name}: {msg}")
        pos = self.node.pos
        line_start = self.text.rfind("\n", 0, pos) + 1
        line = self.text.count("\n", 0, pos) + 1
        col = len(self.text[line_start:pos].encode("utf-8", "surrogateescape"))
        return ExecError(f"template: {self.parse_name}:{line}:{col}: executing "
                         f"{go_quote(self.name)} at <{self.node}>: {msg}")

    # -- variables ------------------------------------------------------------------------

    def var_value(self, name: str) -> V:
        """The value of a variable (innermost binding)."""
        for n, v in reversed(self.vars):
            if n == name:
                return v
        raise self.error(f"undefined variable: {name}")

    def set_var(self, name: str, value: V) -> None:
        """Assign an existing variable (``$x = …``)."""
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                self.vars[i] = (name, value)
                return
        raise self.error(f"undefined variable: {name}")

    # -- pipelines and commands -----------------------------------------------------------

    def eval_pipeline(self, dot: V, pipe: N.PipeNode) -> V:
        """Evaluate a pipeline and bind its declared variables."""
        self.node = pipe
        value = _MISSING
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
            if value.t is not None and value.t.kind == "interface":
                value = _dig(value)
        for var in pipe.decl:
            if pipe.is_assign:
                self.set_var(var.ident[0], value)
            else:
                self.vars.append((var.ident[0], value))
        return value

    def not_a_function(self, args: list[N.Node], final: V) -> None:
        """Reject arguments given to something that is not a function."""
        if len(args) > 1 or final is not _MISSING:
            raise self.error(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: V, cmd: N.CommandNode, final: V) -> V:
        """Evaluate one command of a pipeline (``final``: the previous result)."""
        first = cmd.args[0]
        if isinstance(first, N.FieldNode):
            return self.eval_field_node(dot, first, cmd.args, final)
        if isinstance(first, N.ChainNode):
            return self.eval_chain_node(dot, first, cmd.args, final)
        if isinstance(first, N.IdentifierNode):
            return self.eval_function(dot, first, cmd, cmd.args, final)
        if isinstance(first, N.PipeNode):
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, first)
        if isinstance(first, N.VariableNode):
            return self.eval_variable_node(dot, first, cmd.args, final)
        self.node = first
        self.not_a_function(cmd.args, final)
        if isinstance(first, N.BoolNode):
            return V(first.true, BOOL)
        if isinstance(first, N.DotNode):
            return dot
        if isinstance(first, N.NilNode):
            raise self.error("nil is not a command")
        if isinstance(first, N.NumberNode):
            return self.ideal_constant(first)
        if isinstance(first, N.StringNode):
            return V(first.text, STRING)
        raise self.error(f"can't evaluate command {_quote(str(first))}")

    def ideal_constant(self, c: N.NumberNode) -> V:
        """A numeric constant as an untyped Go constant becomes a value."""
        self.node = c
        text = c.text
        if c.is_complex:
            return V(c.complex128, COMPLEX128)
        hex_int = len(text) > 2 and text[0] == "0" and text[1] in "xX" and not any(
            ch in text for ch in "pP")
        if c.is_float and not hex_int and not text.startswith("'") and any(
                ch in text for ch in ".eEpP"):
            return V(c.float64, FLOAT64)
        if c.is_int:
            return V(c.int64, INT)
        if c.is_uint:
            raise self.error(f"{text} overflows int")
        return V(0, INT)

    def eval_field_node(self, dot: V, field: N.FieldNode, args: list[N.Node], final: V) -> V:
        """Evaluate ``.A.B`` on dot."""
        self.node = field
        return self.eval_field_chain(dot, dot, field, field.ident, args, final)

    def eval_chain_node(self, dot: V, chain: N.ChainNode, args: list[N.Node], final: V) -> V:
        """Evaluate ``(pipeline).A.B``."""
        self.node = chain
        if isinstance(chain.node, N.NilNode):
            raise self.error(f"indirection through explicit nil in {chain}")
        pipe = self.eval_arg(dot, None, chain.node)
        return self.eval_field_chain(dot, pipe, chain, chain.field, args, final)

    def eval_variable_node(self, dot: V, var: N.VariableNode, args: list[N.Node],
                           final: V) -> V:
        """Evaluate ``$x`` or ``$x.A.B``."""
        self.node = var
        value = self.var_value(var.ident[0])
        if len(var.ident) == 1:
            self.not_a_function(args, final)
            return value
        return self.eval_field_chain(dot, value, var, var.ident[1:], args, final)

    def eval_field_chain(self, dot: V, receiver: V, node: N.Node, ident: list[str],
                         args: list[N.Node], final: V) -> V:
        """Walk a chain of field names from ``receiver``."""
        for name in ident[:-1]:
            receiver = self.eval_field(dot, name, node, [], _MISSING, receiver)
        return self.eval_field(dot, ident[-1], node, args, final, receiver)

    def eval_function(self, dot: V, node: N.IdentifierNode, cmd: N.Node, args: list[N.Node],
                      final: V) -> V:
        """Call a function by name."""
        self.node = node
        fn = self.funcs.get(node.ident)
        if fn is None:
            raise self.error(f"{_quote(node.ident)} is not a defined function")
        return self.eval_call(dot, fn, True, cmd, node.ident, args, final)

    def eval_field(self, dot: V, name: str, node: N.Node, args: list[N.Node], final: V,
                   receiver: V) -> V:
        """Evaluate one field name: a method, a struct field or a map key."""
        if receiver.t is None:
            if self.missingkey == "error":
                raise self.error(f"nil data; no entry for key {_quote(name)}")
            return INVALID
        typ = receiver.t
        receiver, nil = indirect(receiver)
        rt = receiver.t
        assert rt is not None
        if rt.kind == "interface" and nil:
            raise self.error(f"nil pointer evaluating {typ.name}.{name}")
        method = rt.methods.get(name) or (rt.elem.methods.get(name) if rt.kind == "ptr"
                                          and rt.elem is not None else None)
        if method is not None and not (nil and rt.kind == "ptr"):
            return self.eval_call(dot, _bind(method, receiver), False, node, name, args, final)
        has_args = len(args) > 1 or final is not _MISSING
        if rt.kind == "struct":
            path = rt.field_path(name)
            if path is not None:
                if has_args:
                    raise self.error(f"{name} has arguments but cannot be invoked as function")
                return field_value(receiver, path)
        elif rt.kind == "map":
            assert rt.key is not None
            assert rt.elem is not None
            if assignable(STRING, rt.key):
                if has_args:
                    raise self.error(f"{name} is not a method but has arguments")
                mapping = receiver.x or {}
                if name in mapping:
                    return elem_value(mapping[name], rt.elem)
                if self.missingkey == "zero":
                    return zero(rt.elem)
                if self.missingkey == "error":
                    raise self.error(f"map has no entry for key {_quote(name)}")
                return INVALID
        elif rt.kind == "ptr" and nil:
            assert rt.elem is not None
            if rt.elem.kind != "struct" or rt.elem.field_path(name) is not None or (
                    name in rt.elem.methods):
                raise self.error(f"nil pointer evaluating {typ.name}.{name}")
        raise self.error(f"can't evaluate field {name} in type {typ.name}")

    # -- calls ----------------------------------------------------------------------------

    def eval_call(self, dot: V, fn: Func, builtin: bool, node: N.Node, name: str,
                  args: list[N.Node], final: V) -> V:
        """Call a function or method with Go's argument checks."""
        args = args[1:]
        num_in = len(args) + (final is not _MISSING)
        params = fn.params
        num_fixed = len(args)
        if fn.variadic:
            num_fixed = len(params) - 1
            if num_in < num_fixed:
                raise self.error(f"wrong number of args for {name}: want at least {num_fixed} "
                                 f"got {len(args)}")
        elif num_in != len(params):
            raise self.error(f"wrong number of args for {name}: want {len(params)} got {num_in}")
        if builtin and name in ("and", "or"):
            v = INVALID
            for arg in args:
                v = self.eval_arg(dot, REFLECT_VALUE, arg)
                if truth(v) == (name == "or"):
                    return v
            if final is not _MISSING:
                v = self.validate_type(final, REFLECT_VALUE)
            return v
        argv: list[V] = []
        for i, arg in enumerate(args):
            ptype = params[i] if i < num_fixed else params[-1]
            argv.append(self.eval_arg(dot, ptype, arg))
        if final is not _MISSING:
            ptype = params[-1]
            if fn.variadic and num_in - 1 < num_fixed:
                ptype = params[num_in - 1]
            argv.append(self.validate_type(final, ptype))
        pyargs: list[Any] = []
        for i, v in enumerate(argv):
            ptype = params[i] if i < len(params) - 1 or not fn.variadic else params[-1]
            pyargs.append(v if ptype.kind == "interface" or ptype is REFLECT_VALUE else v.x)
        if builtin and name == "call":
            callee = str(args[0]) if args else str(final.x)
            pyargs.insert(0, callee)
        try:
            result = fn.fn(*pyargs)
        except FuncError as exc:
            self.node = node
            raise self.error(f"error calling {name}: {exc}") from None
        if fn.result is REFLECT_VALUE:
            assert isinstance(result, V)
            return result
        return V(result, fn.result)

    def eval_arg(self, dot: V, typ: GoType | None, n: N.Node) -> V:
        """Evaluate an argument for a parameter of type ``typ``."""
        self.node = n
        if isinstance(n, N.DotNode):
            return self.validate_type(dot, typ)
        if isinstance(n, N.NilNode):
            if typ is REFLECT_VALUE:
                return INVALID
            if typ is not None and (typ.kind in NILLABLE):
                return zero(typ)
            raise self.error(f"cannot assign nil to {typ.name if typ else 'interface {}'}")
        if isinstance(n, N.FieldNode):
            return self.validate_type(self.eval_field_node(dot, n, [n], _MISSING), typ)
        if isinstance(n, N.VariableNode):
            return self.validate_type(self.eval_variable_node(dot, n, [], _MISSING), typ)
        if isinstance(n, N.PipeNode):
            return self.validate_type(self.eval_pipeline(dot, n), typ)
        if isinstance(n, N.IdentifierNode):
            return self.validate_type(self.eval_function(dot, n, n, [], _MISSING), typ)
        if isinstance(n, N.ChainNode):
            return self.validate_type(self.eval_chain_node(dot, n, [], _MISSING), typ)
        kind = typ.kind if typ is not None else "interface"
        if typ is None or kind == "interface" or typ is REFLECT_VALUE:
            return self.eval_empty_interface(dot, n)
        if kind == "bool" and isinstance(n, N.BoolNode):
            return V(n.true, typ)
        if kind == "string" and isinstance(n, N.StringNode):
            return V(n.text, typ)
        if kind in INT_KINDS and isinstance(n, N.NumberNode) and n.is_int:
            return V(n.int64, typ)
        if kind in UINT_KINDS and isinstance(n, N.NumberNode) and n.is_uint:
            return V(n.uint64, typ)
        if kind in FLOAT_KINDS and isinstance(n, N.NumberNode) and n.is_float:
            return V(n.float64, typ)
        if kind == "complex128" and isinstance(n, N.NumberNode) and n.is_complex:
            return V(n.complex128, typ)
        expected = {"bool": "bool", "string": "string"}.get(kind) or (
            "integer" if kind in INT_KINDS else "unsigned integer" if kind in UINT_KINDS
            else "float" if kind in FLOAT_KINDS else "complex" if kind == "complex128" else "")
        if expected:
            raise self.error(f"expected {expected}; found {n}")
        raise self.error(f"can't handle {n} for arg of type {typ.name}")

    def eval_empty_interface(self, dot: V, n: N.Node) -> V:
        """Evaluate a literal argument for an ``interface {}`` parameter."""
        self.node = n
        if isinstance(n, N.BoolNode):
            return V(n.true, BOOL)
        if isinstance(n, N.NumberNode):
            return self.ideal_constant(n)
        if isinstance(n, N.StringNode):
            return V(n.text, STRING)
        raise self.error(f"can't handle assignment of {n} to empty interface argument")

    def validate_type(self, value: V, typ: GoType | None) -> V:
        """Check (and adapt) a value passed for a parameter of type ``typ``."""
        if value.t is None:
            if typ is None or typ is REFLECT_VALUE:
                return INVALID
            if typ.kind in NILLABLE:
                return zero(typ)
            raise self.error(f"invalid value; expected {typ.name}")
        if typ is None or typ is REFLECT_VALUE or assignable(value.t, typ):
            return value
        vt = value.t
        if vt.kind == "interface" and value.x is not None:
            value = _dig(value)
            assert value.t is not None
            vt = value.t
            if assignable(vt, typ):
                return value
        if vt.kind == "ptr" and vt.elem is not None and assignable(vt.elem, typ):
            if value.x is None:
                raise self.error(f"dereference of nil pointer of type {typ.name}")
            return elem_value(value.x, vt.elem)
        raise self.error(f"wrong type for value; expected {typ.name}; got {vt.name}")


def _dig(v: V) -> V:
    assert v.t is not None
    return dyn(v.x, v.t.number_mode)


def _bind(method: Method, receiver: V) -> Func:
    return Func(lambda *a: method.fn(receiver.x, *a), method.params, method.result)


def _quote(s: str) -> str:
    return go_quote(s)
