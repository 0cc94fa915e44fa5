"""The parser of Go's ``text/template/parse``: same grammar, same error messages.

:func:`parse` returns the template set a text defines: the main template (named
``name``) and every ``{{define}}``/``{{block}}``. Errors are :class:`ParseError` with Go's
text, e.g. ``template: :1: unexpected "}" in operand``.
"""

from __future__ import annotations

from collections.abc import Container

from dockyard.cli.gotemplate import lex as L
from dockyard.cli.gotemplate.errors import ParseError
from dockyard.cli.gotemplate.nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    ElseNode,
    EndNode,
    FieldNode,
    IdentifierNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    StringNode,
    TemplateNode,
    TextNode,
    VariableNode,
    is_empty_tree,
)
from dockyard.cli.gotemplate.number import new_number
from dockyard.cli.gotemplate.strconv import go_quote, go_unquote

__all__ = ["ParseError", "parse"]

_OPERAND_START = frozenset((L.BOOL, L.CHAR_CONSTANT, L.COMPLEX, L.DOT, L.FIELD, L.IDENTIFIER,
                            L.NUMBER, L.NIL, L.RAW_STRING, L.STRING, L.VARIABLE,
                            L.LEFT_PAREN))


class _Tree:
    """The parser state for one template (the main one, or a define/block body)."""

    def __init__(self, p: _Parser, name: str) -> None:
        self.p, self.name = p, name
        self.vars = ["$"]
        self.range_depth = 0
        self.action_line = 0

    # -- tokens ---------------------------------------------------------------------------

    def next(self) -> L.Item:
        p = self.p
        item = p.items[min(p.i, len(p.items) - 1)]
        p.i += 1
        p.furthest = max(p.furthest, p.i - 1)
        return item

    def backup(self, n: int = 1) -> None:
        self.p.i -= n

    def peek(self) -> L.Item:
        item = self.next()
        self.backup()
        return item

    def next_non_space(self) -> L.Item:
        while (item := self.next()).typ == L.SPACE:
            pass
        return item

    def peek_non_space(self) -> L.Item:
        item = self.next_non_space()
        self.backup()
        return item

    def error(self, msg: str) -> ParseError:
        p = self.p
        line = p.items[min(p.furthest, len(p.items) - 1)].line
        return ParseError(f"template: {p.parse_name}:{line}: {msg}")

    def unexpected(self, item: L.Item, context: str) -> ParseError:
        if item.typ == L.ERROR:
            extra = ""
            if self.action_line and self.action_line != item.line:
                extra = f" in action started at {self.p.parse_name}:{self.action_line}"
                if item.val.endswith(" action"):
                    extra = extra[len(" in action"):]
            return self.error(f"{item}{extra}")
        return self.error(f"unexpected {item} in {context}")

    def expect(self, typ: int, context: str) -> L.Item:
        item = self.next_non_space()
        if item.typ != typ:
            raise self.unexpected(item, context)
        return item

    # -- structure ------------------------------------------------------------------------

    def parse_top(self) -> ListNode:
        root = ListNode(self.peek().pos)
        while self.peek().typ != L.EOF:
            if self.peek().typ == L.LEFT_DELIM:
                self.next()
                if self.next_non_space().typ == L.DEFINE:
                    _Tree(self.p, "definition").parse_definition()
                    continue
                self.backup(self.p.i - self._delim_index())
            node = self.text_or_action()
            if isinstance(node, EndNode | ElseNode):
                raise self.error(f"unexpected {node}")
            root.nodes.append(node)
        return root

    def _delim_index(self) -> int:
        # index of the left delimiter just consumed, skipping back over spaces
        i = self.p.i - 1
        while self.p.items[i].typ != L.LEFT_DELIM:
            i -= 1
        return i

    def parse_definition(self) -> None:
        context = "define clause"
        item = self.next_non_space()
        if item.typ not in (L.STRING, L.RAW_STRING):
            raise self.unexpected(item, context)
        self.name = self.unquote(item.val)
        self.expect(L.RIGHT_DELIM, context)
        root, end = self.item_list()
        if not isinstance(end, EndNode):
            raise self.error(f"unexpected {end} in {context}")
        self.p.add(self, root)

    def item_list(self) -> tuple[ListNode, Node]:
        body = ListNode(self.peek_non_space().pos)
        while self.peek_non_space().typ != L.EOF:
            node = self.text_or_action()
            if isinstance(node, EndNode | ElseNode):
                return body, node
            body.nodes.append(node)
        raise self.error("unexpected EOF")

    def text_or_action(self) -> Node:
        item = self.next_non_space()
        if item.typ == L.TEXT:
            return TextNode(item.pos, item.val)
        if item.typ == L.LEFT_DELIM:
            self.action_line = item.line
            try:
                return self.action()
            finally:
                self.action_line = 0
        raise self.unexpected(item, "input")

    def action(self) -> Node:
        item = self.next_non_space()
        typ = item.typ
        if typ == L.BLOCK:
            return self.block_control()
        if typ in (L.BREAK, L.CONTINUE):
            word = "break" if typ == L.BREAK else "continue"
            after = self.next_non_space()
            if after.typ != L.RIGHT_DELIM:
                raise self.unexpected(after, "{{" + word + "}}")
            if self.range_depth == 0:
                raise self.error("{{" + word + "}} outside {{range}}")
            return BreakNode(item.pos) if typ == L.BREAK else ContinueNode(item.pos)
        if typ == L.ELSE:
            peek = self.peek_non_space()
            if peek.typ in (L.IF, L.WITH):
                return ElseNode(peek.pos)
            return ElseNode(self.expect(L.RIGHT_DELIM, "else").pos)
        if typ == L.END:
            return EndNode(self.expect(L.RIGHT_DELIM, "end").pos)
        if typ in (L.IF, L.RANGE, L.WITH):
            return self.control(item.val)
        if typ == L.TEMPLATE:
            return self.template_control()
        self.backup()
        return ActionNode(self.peek().pos, self.pipeline("command", L.RIGHT_DELIM))

    def control(self, kind: str) -> BranchNode:
        mark = len(self.vars)
        pipe = self.pipeline(kind, L.RIGHT_DELIM)
        if kind == "range":
            self.range_depth += 1
        body, nxt = self.item_list()
        if kind == "range":
            self.range_depth -= 1
        else_list: ListNode | None = None
        if isinstance(nxt, ElseNode):
            follow = {"if": L.IF, "with": L.WITH}.get(kind)
            if follow is not None and self.peek().typ == follow:
                self.next()
                else_list = ListNode(nxt.pos, [self.control(kind)])
            else:
                else_list, nxt = self.item_list()
                if not isinstance(nxt, EndNode):
                    raise self.error(f"expected end; found {nxt}")
        del self.vars[mark:]
        return BranchNode(kind, pipe.pos, pipe, body, else_list)

    def block_control(self) -> Node:
        context = "block clause"
        item = self.next_non_space()
        name = self.template_name(item, context)
        pipe = self.pipeline(context, L.RIGHT_DELIM)
        block = _Tree(self.p, name)
        root, end = block.item_list()
        if not isinstance(end, EndNode):
            raise self.error(f"unexpected {end} in {context}")
        self.p.add(block, root)
        return TemplateNode(item.pos, name, pipe)

    def template_control(self) -> Node:
        context = "template clause"
        item = self.next_non_space()
        name = self.template_name(item, context)
        pipe = None
        if self.next_non_space().typ != L.RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, L.RIGHT_DELIM)
        return TemplateNode(item.pos, name, pipe)

    def template_name(self, item: L.Item, context: str) -> str:
        if item.typ not in (L.STRING, L.RAW_STRING):
            raise self.unexpected(item, context)
        return self.unquote(item.val)

    def unquote(self, text: str) -> str:
        try:
            return go_unquote(text)
        except ValueError as exc:
            raise self.error(str(exc)) from None

    # -- pipelines ------------------------------------------------------------------------

    def pipeline(self, context: str, end: int) -> PipeNode:
        first = self.peek_non_space()
        pipe = PipeNode(first.pos, first.line)
        while (v := self.peek_non_space()).typ == L.VARIABLE:
            self.next_non_space()
            nxt = self.peek_non_space()
            if nxt.typ in (L.ASSIGN, L.DECLARE):
                pipe.is_assign = nxt.typ == L.ASSIGN
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, [v.val]))
                self.vars.append(v.val)
            elif nxt.typ == L.CHAR and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, [v.val]))
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (L.VARIABLE, L.RIGHT_DELIM,
                                                     L.RIGHT_PAREN):
                        continue
                    raise self.error("range can only initialize variables")
                raise self.error(f"too many declarations in {context}")
            else:
                self.backup_to(v)
            break
        while True:
            item = self.next_non_space()
            if item.typ == end:
                self.check_pipeline(pipe, context)
                return pipe
            if item.typ in _OPERAND_START:
                self.backup()
                pipe.cmds.append(self.command())
            else:
                raise self.unexpected(item, context)

    def backup_to(self, item: L.Item) -> None:
        while self.p.items[self.p.i - 1] is not item:
            self.p.i -= 1
        self.p.i -= 1

    def check_pipeline(self, pipe: PipeNode, context: str) -> None:
        if not pipe.cmds:
            raise self.error(f"missing value for {context}")
        for i, cmd in enumerate(pipe.cmds[1:]):
            if isinstance(cmd.args[0], BoolNode | DotNode | NilNode | NumberNode | StringNode):
                raise self.error(f"non executable command in pipeline stage {i + 2}")

    def command(self) -> CommandNode:
        cmd = CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            item = self.next()
            if item.typ == L.SPACE:
                continue
            if item.typ in (L.RIGHT_DELIM, L.RIGHT_PAREN):
                self.backup()
            elif item.typ != L.PIPE:
                raise self.unexpected(item, "operand")
            break
        if not cmd.args:
            raise self.error("empty command")
        return cmd

    def operand(self) -> Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().typ == L.FIELD:
            fields: list[str] = []
            pos = self.peek().pos
            while self.peek().typ == L.FIELD:
                fields.append(self.next().val[1:])
            if isinstance(node, FieldNode):
                return FieldNode(pos, node.ident + fields)
            if isinstance(node, VariableNode):
                return VariableNode(pos, node.ident + fields)
            if isinstance(node, BoolNode | StringNode | NumberNode | NilNode | DotNode):
                raise self.error(f"unexpected . after term {go_quote(str(node))}")
            return ChainNode(pos, node, fields)
        return node

    def term(self) -> Node | None:
        item = self.next_non_space()
        typ, pos = item.typ, item.pos
        if typ == L.IDENTIFIER:
            if item.val not in self.p.funcs:
                raise self.error(f'function "{item.val}" not defined')
            return IdentifierNode(pos, item.val)
        if typ == L.DOT:
            return DotNode(pos)
        if typ == L.NIL:
            return NilNode(pos)
        if typ == L.VARIABLE:
            if item.val not in self.vars:
                raise self.error(f'undefined variable "{item.val}"')
            return VariableNode(pos, [item.val])
        if typ == L.FIELD:
            return FieldNode(pos, [item.val[1:]])
        if typ == L.BOOL:
            return BoolNode(pos, item.val == "true")
        if typ in (L.CHAR_CONSTANT, L.COMPLEX, L.NUMBER):
            try:
                return new_number(pos, item.val, typ == L.CHAR_CONSTANT, typ == L.COMPLEX)
            except ValueError as exc:
                raise self.error(str(exc)) from None
        if typ == L.LEFT_PAREN:
            return self.pipeline("parenthesized pipeline", L.RIGHT_PAREN)
        if typ in (L.STRING, L.RAW_STRING):
            return StringNode(pos, item.val, self.unquote(item.val))
        self.backup()
        return None


class _Parser:
    def __init__(self, text: str, name: str, funcs: Container[str]) -> None:
        self.items = L.lex(text)
        self.i = self.furthest = 0
        self.parse_name, self.funcs = name, funcs
        self.trees: dict[str, ListNode] = {}

    def add(self, tree: _Tree, root: ListNode) -> None:
        old = self.trees.get(tree.name)
        if old is None or is_empty_tree(old):
            self.trees[tree.name] = root
        elif not is_empty_tree(root):
            raise tree.error(f"template: multiple definition of template {go_quote(tree.name)}")


def parse(text: str, funcs: Container[str], name: str = "") -> dict[str, ListNode]:
    """Parse a template and the templates it defines.

    Args:
        text: The template source.
        funcs: Names of the functions the template may call.
        name: The main template's name (Docker's is ``""``).

    Returns:
        Root list node by template name.

    Raises:
        ParseError: With Go's message.
    """
    parser = _Parser(text, name, funcs)
    main = _Tree(parser, name)
    root = main.parse_top()
    parser.add(main, root)
    return parser.trees

