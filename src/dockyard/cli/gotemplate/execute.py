"""The executor of Go's ``text/template`` (``exec.go``): walk the tree, print the results.

Walking follows Go: actions print their pipeline's value (``<no value>`` for an invalid
one), ``if``/``with``/``range`` with their ``else`` branches, ``break``/``continue``,
``{{template}}`` invocations with a fresh variable scope, and errors that discard the
output, as Docker discards it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from dockyard.cli.gotemplate import nodes as N
from dockyard.cli.gotemplate.errors import ExecError
from dockyard.cli.gotemplate.evaluate import Evaluator
from dockyard.cli.gotemplate.funcs import Func, is_true
from dockyard.cli.gotemplate.gofmt import print_value_top
from dockyard.cli.gotemplate.strconv import go_quote
from dockyard.cli.gotemplate.types import (
    INT,
    INT_KINDS,
    INVALID,
    UINT_KINDS,
    V,
    elem_value,
    indirect,
    indirect_interface,
    sorted_keys,
)

__all__ = ["ExecError", "execute", "partial_execute"]

MAX_DEPTH = 100000


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _State(Evaluator):
    # -- walking --------------------------------------------------------------------------

    def walk(self, dot: V, node: N.Node) -> None:
        """Execute a node."""
        self.node = node
        if isinstance(node, N.ListNode):
            for n in node.nodes:
                self.walk(dot, n)
        elif isinstance(node, N.TextNode):
            self.out.append(node.text)
        elif isinstance(node, N.ActionNode):
            value = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.node = node
                self.out.append("<no value>" if value.t is None else self.printable(value))
        elif isinstance(node, N.BranchNode):
            if node.kind == "range":
                self.walk_range(dot, node)
            else:
                self.walk_if_or_with(dot, node)
        elif isinstance(node, N.TemplateNode):
            self.walk_template(dot, node)
        elif isinstance(node, N.BreakNode):
            raise _Break
        elif isinstance(node, N.ContinueNode):
            raise _Continue

    def printable(self, v: V) -> str:
        """The text an action prints for a value."""
        if v.t is not None and v.t.kind == "ptr":
            inner, _ = indirect(v)
            if inner.t is None:
                return "<no value>"
            if inner.t.kind != "interface":
                v = inner
        if v.t is not None and v.t.kind in ("func", "chan"):
            raise self.error(f"can't print {self.node} of type {v.t.name}")
        return print_value_top(v)

    def walk_if_or_with(self, dot: V, node: N.BranchNode) -> None:
        """Execute ``if`` or ``with``."""
        mark = len(self.vars)
        val = self.eval_pipeline(dot, node.pipe)
        t, ok = is_true(indirect_interface(val))
        if not ok:
            raise self.error(f"if/with can't use {print_value_top(val)}")
        if t:
            self.walk(val if node.kind == "with" else dot, node.list)
        elif node.else_list is not None:
            self.walk(dot, node.else_list)
        del self.vars[mark:]

    def walk_range(self, dot: V, node: N.BranchNode) -> None:
        """Execute ``range``."""
        self.node = node
        mark = len(self.vars)
        val, _ = indirect(self.eval_pipeline(dot, node.pipe))
        pipe = node.pipe
        inner_mark = len(self.vars)

        def one(index: V, elem: V) -> None:
            if pipe.decl:
                if pipe.is_assign:
                    self.set_var(pipe.decl[0].ident[0], index if len(pipe.decl) > 1 else elem)
                else:
                    self.vars[-1] = (self.vars[-1][0], elem)
            if len(pipe.decl) > 1:
                if pipe.is_assign:
                    self.set_var(pipe.decl[1].ident[0], elem)
                else:
                    self.vars[-2] = (self.vars[-2][0], index)
            try:
                self.walk(elem, node.list)
            except _Continue:
                pass
            finally:
                del self.vars[inner_mark:]

        kind = val.kind
        ran = False
        try:
            if kind in ("slice", "array"):
                assert val.t is not None
                assert val.t.elem is not None
                for i, item in enumerate(val.x or ()):
                    ran = True
                    one(V(i, INT), elem_value(item, val.t.elem))
            elif kind == "map":
                assert val.t is not None
                assert val.t.elem is not None
                assert val.t.key is not None
                for key in sorted_keys(val.x):
                    ran = True
                    one(elem_value(key, val.t.key), elem_value(val.x[key], val.t.elem))
            elif kind in INT_KINDS or kind in UINT_KINDS:
                if len(pipe.decl) > 1:
                    raise self.error(f"can't use {print_value_top(val)} to iterate over more "
                                     "than one variable")
                assert val.t is not None
                for i in range(int(val.x)):
                    ran = True
                    one(INVALID, V(i, val.t))
            elif kind != "invalid":
                raise self.error(f"range can't iterate over {print_value_top(val)}")
        except _Break:
            ran = True
        if not ran and node.else_list is not None:
            self.walk(dot, node.else_list)
        del self.vars[mark:]

    def walk_template(self, dot: V, node: N.TemplateNode) -> None:
        """Execute ``{{template}}``."""
        self.node = node
        tree = self.trees.get(node.name)
        if tree is None:
            raise self.error(f"template {go_quote(node.name)} not defined")
        if self.depth >= MAX_DEPTH:
            raise self.error(f"exceeded maximum template depth ({MAX_DEPTH})")
        dot = self.eval_pipeline(dot, node.pipe) if node.pipe is not None else INVALID
        saved = (self.name, self.vars, self.depth)
        self.name, self.vars, self.depth = node.name, [("$", dot)], self.depth + 1
        try:
            self.walk(dot, tree)
        except RecursionError:
            self.node = node
            raise self.error(f"exceeded maximum template depth ({MAX_DEPTH})") from None
        finally:
            self.name, self.vars, self.depth = saved


def execute(trees: Mapping[str, N.ListNode], name: str, text: str, data: V,
            funcs: Mapping[str, Func], *, missingkey: str = "default",
            parse_name: str = "") -> str:
    """Execute template ``name`` of a parsed set on ``data``.

    Args:
        trees: The parsed templates (:func:`~dockyard.cli.gotemplate.parse.parse`).
        name: The template to run.
        text: The source text (error locations are computed from it).
        data: The value of ``.`` and ``$``.
        funcs: The functions, by name.
        missingkey: ``default`` (absent map keys are invalid values, printed as
            ``<no value>``), ``zero`` or ``error``.
        parse_name: The name errors locate positions in (Docker's is ``""``).

    Returns:
        The output.

    Raises:
        ExecError: Execution failed; the output written so far is lost, as Docker
            discards it.
    """
    state = _State(text, trees, funcs, missingkey, parse_name)
    state.name = name
    state.vars = [("$", data)]
    root = trees.get(name)
    if root is None:
        raise state.error(f"{go_quote(name)} is an incomplete or empty template")
    state.walk(data, root)
    return "".join(state.out)


def partial_execute(trees: Mapping[str, N.ListNode], text: str, data: V,
                    funcs: Mapping[str, Func]) -> str:
    """Execute like :func:`execute` but return what was written before an error."""
    state = _State(text, trees, funcs, "default", "")
    state.vars = [("$", data)]
    with contextlib.suppress(ExecError):
        state.walk(data, trees[""])
    return "".join(state.out)
