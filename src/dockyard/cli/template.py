r"""Go ``text/template`` for ``--format``: the subset the Docker CLI's users rely on.

Syntax: literal text; ``{{pipeline}}`` with ``{{-``/``-}}`` trimming; ``{{/* comments */}}``;
``.``, fields ``.A.B``, ``$`` and variables (``$x := …``, ``$x = …``,
``range $i, $v := …``); string, raw-string, number, ``true``/``false``/``nil`` literals;
``(…)`` and ``|``; ``if``/``else if``/``else``, ``range``/``else``, ``with``/``else``, ``end``.
Functions: Go's ``and or not len index print printf println eq ne lt le gt ge`` and
Docker's ``json split join title lower upper pad truncate``.

Data are JSON-shaped (dict, list, str, int, float, bool, None) and print as Go prints
``interface{}`` values: ``[a b]``, ``map[k:v]`` (sorted keys), ``<nil>`` inside
containers, ``<no value>`` for a nil or absent action result (``{{index .M "x"}}``).
``json`` is Docker's: compact, map keys sorted, and, because Docker calls
``SetEscapeHTML(false)``, ``<``, ``>`` and ``&`` are *not* escaped.

A missing map key is an error (Docker executes with ``missingkey=error`` or on typed
structs); every error is a :class:`TemplateError` worded like Docker's, e.g.
``template parsing error: template: :1:2: executing "" at <.Foo>: map has no entry
for key "Foo"``.

Whole ``--format`` values go through :func:`format_rows`: the ``table`` prefix, the
two-character escapes ``\t``/``\n`` (replaced before parsing, as Docker does), one output
line per row, and for tables a header row (fields rendered as column titles) aligned by
:func:`dockyard.cli.table.tabwrite` with Docker's ``tabwriter.NewWriter(out, 10, 1, 3,
' ', 0)``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dockyard.cli._template_runtime import (
    FUNCS,
    HEADER_FUNCS,
    ExecFailure,
    Executor,
    go_json,
    go_sprint,
)
from dockyard.cli.table import default_header, tabwrite
from dockyard.errors import InvalidArgumentError

__all__ = ["Template", "TemplateError", "format_rows", "go_json", "go_sprint", "render"]


class TemplateError(InvalidArgumentError):
    """A ``--format`` template that cannot be parsed or executed."""


_TOKEN = re.compile(
    r"""(?P<ws>[ \t\r\n]+)|(?P<str>"(?:[^"\\\n]|\\.)*")|(?P<raw>`[^`]*`)
    |(?P<num>-?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)(?![\w.]))
    |(?P<field>(?:\.[A-Za-z_]\w*)+)|(?P<var>\$\w*)|(?P<decl>:=)|(?P<assign>=)
    |(?P<dot>\.)|(?P<ident>[A-Za-z_]\w*)|(?P<punct>[|(),])""",
    re.X,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_COMMENT_END = re.compile(r"\*/(?:[ \t\r\n]+(-))?}}")
_KEYWORDS = ("if", "range", "with", "else", "end", "define", "template", "block")
Node = tuple[Any, ...]


def _unquote(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        s = m.group(0)[1:]
        if s[0] in "xuU":
            return chr(int(s[1:], 16))
        if s[0] in "01234567":
            return chr(int(s, 8))
        return _ESCAPES.get(s, s)

    return re.sub(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)", repl,
                  text[1:-1])


class _Parser:
    def __init__(self, text: str, funcs: Mapping[str, Any]) -> None:
        self.text, self.funcs = text, funcs
        self.toks = list(self._lex(text))
        self.i, self.scopes = 0, [["$"]]

    def fail(self, pos: int, msg: str) -> TemplateError:
        line = self.text.count("\n", 0, pos) + 1
        return TemplateError(f"template parsing error: template: :{line}: {msg}")

    def _lex(self, text: str) -> Iterator[Node]:
        i, trim_next = 0, False
        while i < len(text):
            start = text.find("{{", i)
            chunk = text[i:] if start < 0 else text[i:start]
            trim_left = start >= 0 and text[start + 2 : start + 3] == "-" and (
                text[start + 3 : start + 4] in (" ", "\t", "\r", "\n"))
            if trim_next:
                chunk = chunk.lstrip(" \t\r\n")
            if trim_left:
                chunk = chunk.rstrip(" \t\r\n")
            if chunk:
                yield ("text", i, chunk)
            if start < 0:
                return
            i = start + (4 if trim_left else 2)
            if text.startswith("/*", i):
                end = text.find("*/", i)
                close = _COMMENT_END.match(text, end) if end >= 0 else None
                if close is None:
                    raise self.fail(start, "unclosed comment")
                i, trim_next = close.end(), close.group(1) == "-"
                continue
            yield ("left", start)
            while True:
                m = _TOKEN.match(text, i)
                if m is not None and m.lastgroup == "ws" and text.startswith("-}}", m.end()):
                    i, trim_next = m.end() + 3, True
                    break
                if text.startswith("}}", i):
                    i, trim_next = i + 2, False
                    break
                if m is None:
                    bad = text[i : i + 1] or "EOF"
                    raise self.fail(i, "unclosed action" if bad in ("EOF", "\n")
                                    else f'unexpected "{bad}" in operand')
                if m.lastgroup != "ws":
                    yield (m.lastgroup, i, m.group(0))
                i = m.end()
            yield ("right", i)
        return

    def peek(self) -> Node:
        return self.toks[self.i] if self.i < len(self.toks) else ("eof", len(self.text), "")

    def take(self) -> Node:
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self) -> list[Node]:
        nodes, stop = self.parse_list()
        if stop is not None:
            raise self.fail(stop[1], f"unexpected {{{{{stop[0]}}}}}")
        return nodes

    def parse_list(self) -> tuple[list[Node], Node | None]:
        nodes: list[Node] = []
        while (tok := self.take())[0] != "eof":
            if tok[0] == "text":
                nodes.append(tok)
                continue
            word = self.peek()
            if word[0] == "ident" and word[2] in ("end", "else"):
                self.take()
                return nodes, (word[2], tok[1])
            if word[0] == "ident" and word[2] in ("if", "range", "with"):
                self.take()
                nodes.append(self.control(word[2], tok[1]))
                continue
            pipe = self.pipeline(tok[1], decl_ok=True)
            nodes.append(("action", tok[1], pipe))
        return nodes, None

    def control(self, kind: str, pos: int) -> Node:
        self.scopes.append([])
        pipe = self.pipeline(pos, decl_ok=True, range_ok=kind == "range")
        body, stop = self.parse_list()
        other: list[Node] = []
        if stop is not None and stop[0] == "else":
            if self.peek()[0] == "ident" and self.peek()[2] == "if" and kind == "if":
                self.take()
                other = [self.control("if", stop[1])]
                stop = ("end", 0)
            else:
                self.expect_right()
                other, stop = self.parse_list()
        if stop is None or stop[0] != "end":
            raise self.fail(len(self.text), "unexpected EOF")
        if not other or other[0][0] != "if":
            self.expect_right()
        self.scopes.pop()
        return (kind, pos, pipe, body, other)

    def expect_right(self) -> None:
        tok = self.take()
        if tok[0] != "right":
            raise self.fail(tok[1], f"unexpected {tok[2]!r} in end")

    def pipeline(self, pos: int, decl_ok: bool = False, range_ok: bool = False) -> Node:
        decls: list[str] = []
        assign = False
        save = self.i
        while decl_ok and self.peek()[0] == "var":
            decls.append(self.take()[2])
            nxt = self.take()
            if nxt[0] == "punct" and nxt[2] == "," and range_ok and len(decls) == 1:
                continue
            if nxt[0] in ("decl", "assign"):
                assign = nxt[0] == "assign"
                break
            decls, self.i = [], save
            break
        for name in decls:
            if assign and not any(name in s for s in self.scopes):
                raise self.fail(pos, f"undefined variable {name!r}".replace("'", '"'))
        cmds: list[list[Node]] = [[]]
        while (tok := self.peek())[0] not in ("right", "eof") and tok[2] != ")":
            self.take()
            if tok[2] == "|":
                if not cmds[-1]:
                    raise self.fail(tok[1], "missing command")
                cmds.append([])
            else:
                cmds[-1].append(self.operand(tok))
        if tok[0] == "eof":
            raise self.fail(tok[1], "unclosed action")
        if not cmds[-1]:
            raise self.fail(tok[1], "missing value for command")
        if tok[0] == "right":
            self.take()
        if not assign:
            self.scopes[-1].extend(decls)
        return (decls, assign, cmds)

    def operand(self, tok: Node) -> Node:
        kind, pos, text = tok
        node: Node
        if kind == "field":
            return ("field", pos, tuple(text[1:].split(".")), text)
        if kind == "var":
            if not any(text in s for s in self.scopes):
                raise self.fail(pos, f'undefined variable "{text}"')
            node = ("var", pos, text)
        elif kind in ("str", "raw"):
            return ("lit", pos, _unquote(text) if kind == "str" else text[1:-1], text)
        elif kind == "num":
            value = float(text) if re.search(r"[.eE]", text) and "x" not in text.lower() else (
                int(text, 0))
            return ("lit", pos, value, text)
        elif kind == "dot":
            return ("dot", pos, ".")
        elif kind == "ident":
            if text in ("true", "false", "nil"):
                return ("lit", pos, {"true": True, "false": False}.get(text), text)
            if text in _KEYWORDS or text not in self.funcs:
                raise self.fail(pos, f'function "{text}" not defined')
            return ("func", pos, text)
        elif text == "(":
            pipe = self.pipeline(pos)
            if self.take()[2] != ")":
                raise self.fail(pos, "unclosed left paren")
            node = ("pipe", pos, pipe)
        else:
            raise self.fail(pos, f"unexpected {text!r} in operand".replace("'", '"'))
        nxt = self.peek()
        if nxt[0] == "field" and nxt[1] == pos + len(self.text[pos:nxt[1]]) and (
            self.text[nxt[1] - 1] not in " \t\r\n"):
            self.take()
            return ("chain", pos, node, tuple(nxt[2][1:].split(".")), self.text[pos : nxt[1]]
                    + nxt[2])
        return node


class _Headers(Mapping[str, str]):
    def __init__(self, titles: Mapping[str, str]) -> None:
        self.titles = titles

    def __getitem__(self, key: str) -> str:
        return self.titles.get(key) or default_header(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(self.titles)

    def __len__(self) -> int:
        return len(self.titles)


class Template:
    """A parsed ``--format`` template.

    Args:
        text: The template source (Docker's escapes already replaced).

    Raises:
        TemplateError: The template does not parse (bad syntax, unknown function).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._nodes = _Parser(text, FUNCS).parse()

    def execute(self, data: Any, *, missingkey: str = "error", type_name: str | None = None) -> str:
        """Render the template for one value.

        Args:
            data: The value ``.`` and ``$`` refer to (JSON-shaped).
            missingkey: ``"error"`` (Docker's behaviour) or ``"default"`` to let an absent
                key evaluate to nil, which prints ``<no value>``.
            type_name: Go type to name in errors about an absent top-level field,
                e.g. ``*formatter.ImageContext``; without it the error is
                ``map has no entry for key "Foo"``.

        Returns:
            The rendered text.

        Raises:
            TemplateError: Execution failed, e.g. on an absent field.
        """
        out: list[str] = []
        try:
            Executor(self.text, data, FUNCS, missingkey, type_name).run(self._nodes, data, out)
        except ExecFailure as exc:
            raise TemplateError(str(exc)) from None
        return "".join(out)

    def render_header(self, titles: Mapping[str, str] | None = None) -> str:
        """Render the header row of a ``table`` format as Docker does.

        Each field renders as its column title; ``json``, ``join``, ``upper``, … return
        their first argument unchanged; an error ends the header where it happened.

        Args:
            titles: Column title by field name; other fields use
                :func:`~dockyard.cli.table.default_header`.

        Returns:
            The header text.
        """
        out: list[str] = []
        data = _Headers(titles or {})
        with contextlib.suppress(ExecFailure):
            Executor(self.text, data, HEADER_FUNCS, "default", None).run(self._nodes, data, out)
        return "".join(out)


def render(text: str, data: Any, **options: Any) -> str:
    """Parse and execute a template once (see :meth:`Template.execute` for options).

    Args:
        text: The template source.
        data: The value ``.`` refers to.
        **options: ``missingkey`` and ``type_name``.

    Returns:
        The rendered text.
    """
    return Template(text).execute(data, **options)


def format_rows(
    fmt: str,
    rows: Sequence[Any],
    *,
    titles: Mapping[str, str] | None = None,
    type_name: str | None = None,
) -> str:
    r"""Render rows with a ``--format`` value exactly as docker/cli's formatter does.

    ``json`` means ``{{json .}}``; a ``table`` prefix is removed; the rest is stripped
    of spaces and the two-character sequences ``\t`` and ``\n`` become a tab and a
    newline. Every row is rendered followed by a newline. For a table, the header row
    (see :meth:`Template.render_header`) comes first and everything goes through
    :func:`~dockyard.cli.table.tabwrite` (minimum width 10, padding 3); the header is
    printed even when there are no rows.

    Args:
        fmt: The ``--format`` value, e.g. ``table {{.Repository}}\t{{.Tag}}``.
        rows: One JSON-shaped value per output line.
        titles: Column titles for the header row, by field name.
        type_name: See :meth:`Template.execute`.

    Returns:
        The output text.

    Raises:
        TemplateError: The template does not parse or fails on a row.
    """
    is_table = fmt.startswith("table")
    text = "{{json .}}" if fmt == "json" else fmt[5:] if is_table else fmt
    text = text.strip(" ").replace("\\t", "\t").replace("\\n", "\n")
    template = Template(text)
    body = "".join(template.execute(row, type_name=type_name) + "\n" for row in rows)
    if not is_table:
        return body
    return tabwrite(template.render_header(titles) + "\n" + body)
