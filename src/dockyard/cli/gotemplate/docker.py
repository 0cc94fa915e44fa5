r"""Docker's use of templates: ``--format`` for lists, ``-f`` for ``inspect``.

* :func:`format_rows` is docker/cli's ``formatter.Context``: the ``table`` prefix, spaces
  trimmed, the two-character sequences ``\t`` and ``\n`` turned into a tab and a
  newline, one line per row, and for tables a header row (the template run on the
  context's header map with ``HeaderFunctions``) aligned by ``tabwriter``.
* :class:`InspectTemplate` is docker/cli's ``TemplateInspector``: the template runs on
  the typed ``image.InspectResponse`` first and, when that fails, on the raw JSON
  (``map[string]interface {}``, numbers as ``json.Number``) with ``missingkey=error``.

Errors are :class:`TemplateError` worded as Docker prints them (``template parsing
error: template: :1:2: executing "" at <.Nope>: …``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dockyard.cli.gotemplate.dockerfuncs import BASIC_FUNCS, HEADER_FUNCS
from dockyard.cli.gotemplate.errors import ExecError, ParseError, TemplateError
from dockyard.cli.gotemplate.execute import execute, partial_execute
from dockyard.cli.gotemplate.jsonenc import marshal
from dockyard.cli.gotemplate.nodes import ActionNode, FieldNode, ListNode, TextNode
from dockyard.cli.gotemplate.parse import parse
from dockyard.cli.gotemplate.schema import IMAGE_INSPECT
from dockyard.cli.gotemplate.types import (
    ANY,
    BYTES,
    MAP_STRING_ANY,
    MAP_STRING_STRING,
    REFLECT_VALUE,
    GoType,
    Method,
    V,
    dyn,
    ptr_to,
)
from dockyard.cli.table import tabwrite

__all__ = [
    "HISTORY_CONTEXT",
    "IMAGE_CONTEXT",
    "InspectTemplate",
    "TemplateError",
    "context_type",
    "format_inspect",
    "format_rows",
]

_PREFIX = "template parsing error: "


def _marshal_context(row: Any, _html: bool) -> str:
    values = {k: row[k] for k in sorted(row)} if isinstance(row, Mapping) else {}
    return marshal(V(values, MAP_STRING_ANY), escape_html=True)


def context_type(name: str, fields: Iterable[str]) -> GoType:
    """The Go type of a docker/cli formatter context (``*formatter.imageContext``).

    A context is a pointer to a struct whose exported methods, one per column, return
    the row's strings; its Python value is the row dict (method name → value).
    ``{{json .}}`` marshals the methods' results as a map (sorted keys, HTML-escaped),
    as docker/cli's ``MarshalJSON`` does.

    Args:
        name: The type's name as Go prints it, e.g. ``*formatter.imageContext``.
        fields: The method (column) names.

    Returns:
        The context type.
    """
    methods: dict[str, Method] = {
        field: Method((), REFLECT_VALUE, lambda row, f=field: dyn(row.get(f, "")))
        for field in fields
    }
    methods["FullHeader"] = Method((), REFLECT_VALUE, lambda _row: V(None, ANY))
    methods["MarshalJSON"] = Method(
        (), REFLECT_VALUE, lambda row: V(_marshal_context(row, True).encode(), BYTES))
    struct = GoType("struct", name.lstrip("*"), named=True, methods=methods,
                    marshal=_marshal_context, zero={})
    if not name.startswith("*"):
        return struct
    pointer = ptr_to(struct)
    pointer.marshal = _marshal_context
    return pointer


#: ``docker images`` rows (docker/cli 28.2 ``formatter.imageContext``).
IMAGE_CONTEXT = context_type("*formatter.imageContext", (
    "Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository", "SharedSize",
    "Size", "Tag", "UniqueSize", "VirtualSize"))
#: ``docker history`` rows (docker/cli 28.2 ``image.historyContext``).
HISTORY_CONTEXT = context_type("*image.historyContext", (
    "Comment", "CreatedAt", "CreatedBy", "CreatedSince", "ID", "Size"))


def _parse(text: str) -> dict[str, ListNode]:
    try:
        return parse(text, BASIC_FUNCS)
    except ParseError as exc:
        raise TemplateError(_PREFIX + str(exc)) from None


def format_rows(
    fmt: str,
    rows: Sequence[Any],
    *,
    titles: Mapping[str, str] | None = None,
    type_name: str | None = None,
    context: GoType | None = None,
) -> str:
    r"""Render rows with a ``--format`` value exactly as docker/cli's formatter does.

    Args:
        fmt: The ``--format`` value: ``json`` (``{{json .}}``), ``table …`` or a template.
        rows: One row per output line: dicts of column values (or any value).
        titles: The context's header map (column title by field) for ``table`` formats;
            a field without a title renders as ``<no value>``, as in Docker.
        type_name: Make each row a context of this Go type whose methods are the row's
            keys (e.g. ``*formatter.imageContext``); prefer ``context``.
        context: The rows' Go type, e.g. :data:`IMAGE_CONTEXT`. Without it (and without
            ``type_name``) rows are plain data: a dict is a Go map and an absent key is
            the error ``map has no entry for key``.

    Returns:
        The output text, each row followed by a newline; for a table, the header row
        first and all aligned with ``tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)``.

    Raises:
        TemplateError: The template does not parse or fails on a row (nothing is
            printed then, as in Docker).
    """
    is_table = fmt.startswith("table")
    text = "{{json .}}" if fmt == "json" else fmt[5:] if is_table else fmt
    text = text.strip(" ").replace("\\t", "\t").replace("\\n", "\n")
    trees = _parse(text)
    if context is None and type_name is not None:
        keys = dict.fromkeys(k for row in rows if isinstance(row, Mapping) for k in row)
        context = context_type(type_name, keys)
    plan = _field_plan(trees)
    out: list[str] = []
    for row in rows:
        if plan is not None and isinstance(row, Mapping):
            fast = _fill(plan, row)
            if fast is not None:
                out.append(fast)
                out.append("\n")
                continue
        data = V(row, context) if context is not None else dyn(row)
        try:
            out.append(execute(trees, "", text, data, BASIC_FUNCS,
                               missingkey="default" if context else "error"))
        except ExecError as exc:
            raise TemplateError(_PREFIX + str(exc)) from None
        out.append("\n")
    body = "".join(out)
    if not is_table:
        return body
    header = V(dict(titles or {}), MAP_STRING_STRING)
    return tabwrite(partial_execute(trees, text, header, HEADER_FUNCS) + "\n" + body)


def _field_plan(trees: dict[str, ListNode]) -> list[tuple[bool, str]] | None:
    """Text and ``{{.Field}}`` parts when the template is nothing more (else None).

    Such a template prints each field's string as it is, so rows whose fields are all
    strings can be filled in without running the engine (10,000-row tables stay fast).
    """
    if set(trees) != {""}:
        return None
    plan: list[tuple[bool, str]] = []
    for node in trees[""].nodes:
        if isinstance(node, TextNode):
            plan.append((False, node.text))
            continue
        if not isinstance(node, ActionNode) or node.pipe.decl or len(node.pipe.cmds) != 1:
            return None
        args = node.pipe.cmds[0].args
        if len(args) != 1 or not isinstance(args[0], FieldNode) or len(args[0].ident) != 1:
            return None
        plan.append((True, args[0].ident[0]))
    return plan


def _fill(plan: list[tuple[bool, str]], row: Mapping[str, Any]) -> str | None:
    parts: list[str] = []
    for is_field, text in plan:
        if not is_field:
            parts.append(text)
            continue
        value = row.get(text)
        if not isinstance(value, str):
            return None
        parts.append(value)
    return "".join(parts)


class InspectTemplate:
    r"""A ``docker image inspect -f`` template (docker/cli's ``TemplateInspector``).

    The text is used as given (no trimming, no ``\\t`` replacement).

    Args:
        fmt: The template.
        schema: The Go type the CLI decodes each object into (default: Docker 28.2's
            ``image.InspectResponse``); None to use the raw JSON only.

    Raises:
        TemplateError: The template does not parse.
    """

    def __init__(self, fmt: str, schema: GoType | None = IMAGE_INSPECT) -> None:
        self.text, self.schema = fmt, schema
        self.trees = _parse(fmt)

    def render(self, item: Any) -> str:
        """Render one inspected object: the result followed by a newline.

        Args:
            item: The object as the daemon's JSON decodes (dicts, lists, scalars).

        Returns:
            The text Docker prints for it.

        Raises:
            TemplateError: Both the typed and the raw execution failed.
        """
        if self.schema is not None:
            try:
                return execute(self.trees, "", self.text, V(item, self.schema),
                               BASIC_FUNCS) + "\n"
            except ExecError:
                pass
        try:
            return execute(self.trees, "", self.text, dyn(item, number_mode=True),
                           BASIC_FUNCS, missingkey="error") + "\n"
        except ExecError as exc:
            raise TemplateError(_PREFIX + str(exc)) from None


def format_inspect(fmt: str, items: Iterable[Any],
                   schema: GoType | None = IMAGE_INSPECT) -> tuple[str, list[str]]:
    """Render ``inspect -f`` output for several objects as the Docker CLI does.

    Args:
        fmt: The template.
        items: The inspected objects, in order.
        schema: See :class:`InspectTemplate`.

    Returns:
        The standard output (a lone newline when nothing rendered) and the error
        messages, one per object that failed, in order.

    Raises:
        TemplateError: The template does not parse.
    """
    template = InspectTemplate(fmt, schema)
    out: list[str] = []
    errors: list[str] = []
    for item in items:
        try:
            out.append(template.render(item))
        except TemplateError as exc:
            errors.append(str(exc))
    return "".join(out) or "\n", errors
