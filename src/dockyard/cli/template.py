r"""Go ``text/template`` for ``--format`` and ``inspect -f``, as the Docker CLI runs it.

The engine lives in :mod:`dockyard.cli.gotemplate`; this module is its stable entry
point. Everything Go's ``text/template`` does is there: the full syntax (string, raw,
rune and number literals, variables, ``range``/``with``/``if`` with ``else`` chains,
``break``/``continue``, ``define``/``template``/``block``, trim markers, comments),
Go's builtins with Go's type rules (``eq``, ``index``, ``slice``, ``printf`` with ``fmt``'s
verbs, …) and Docker's ``json split join title lower upper pad truncate``. Errors carry
Go's and Docker's wording.

Data are Python values typed as Go would see them (see
:mod:`dockyard.cli.gotemplate.types`): a plain dict is a Go map (sorted keys), a list a
``[]interface {}``; :func:`go_struct` (or a :class:`Typed` value) declares a struct,
whose fields keep their order; :data:`IMAGE_CONTEXT`, :data:`HISTORY_CONTEXT` and
:data:`IMAGE_INSPECT` describe the Go types Docker formats ``images``, ``history`` and
``image inspect`` output from.

* :func:`format_rows`: ``docker images/history --format`` (``table``, ``json``, ``\t``).
* :class:`InspectTemplate` and :func:`format_inspect`: ``docker image inspect -f``.
* :class:`Template` and :func:`render`: one template, one value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard.cli.gotemplate.docker import (
    HISTORY_CONTEXT,
    IMAGE_CONTEXT,
    InspectTemplate,
    context_type,
    format_inspect,
    format_rows,
)
from dockyard.cli.gotemplate.dockerfuncs import BASIC_FUNCS, HEADER_FUNCS
from dockyard.cli.gotemplate.errors import ExecError, ParseError, TemplateError
from dockyard.cli.gotemplate.execute import execute, partial_execute
from dockyard.cli.gotemplate.gofmt import print_value_top
from dockyard.cli.gotemplate.jsonenc import JSONError, marshal
from dockyard.cli.gotemplate.parse import parse
from dockyard.cli.gotemplate.schema import IMAGE_INSPECT
from dockyard.cli.gotemplate.types import MAP_STRING_STRING, GoType, Typed, V, dyn, go_struct

__all__ = [
    "HISTORY_CONTEXT",
    "IMAGE_CONTEXT",
    "IMAGE_INSPECT",
    "GoType",
    "InspectTemplate",
    "Template",
    "TemplateError",
    "Typed",
    "format_inspect",
    "format_rows",
    "go_json",
    "go_sprint",
    "go_struct",
    "render",
]

_PREFIX = "template parsing error: "


class Template:
    """A parsed template (Docker's functions available).

    Args:
        text: The template source, used as given.

    Raises:
        TemplateError: The template does not parse (bad syntax, unknown function).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            self._trees = parse(text, BASIC_FUNCS)
        except ParseError as exc:
            raise TemplateError(_PREFIX + str(exc)) from None

    def execute(self, data: Any, *, missingkey: str = "error", type_name: str | None = None,
                go_type: GoType | None = None) -> str:
        """Render the template for one value.

        Args:
            data: The value ``.`` and ``$`` refer to.
            missingkey: ``error`` (an absent map key fails, as in Docker's raw-JSON
                inspect), ``default`` (it is an invalid value, printed ``<no value>``) or
                ``zero``.
            type_name: Treat ``data`` (a dict) as a formatter context of this Go type whose
                methods are its keys, e.g. ``*formatter.imageContext``.
            go_type: The Go type of ``data`` (e.g. :data:`IMAGE_INSPECT`).

        Returns:
            The rendered text.

        Raises:
            TemplateError: Execution failed.
        """
        if go_type is None and type_name is not None:
            go_type = context_type(type_name, data if isinstance(data, Mapping) else ())
        value = V(data, go_type) if go_type is not None else dyn(data)
        try:
            return execute(self._trees, "", self.text, value, BASIC_FUNCS,
                           missingkey=missingkey)
        except ExecError as exc:
            raise TemplateError(_PREFIX + str(exc)) from None

    def render_header(self, titles: Mapping[str, str] | None = None) -> str:
        """Render the header row of a ``table`` format as Docker does.

        The template runs on the header map (a Go ``map[string]string``) with Docker's
        ``HeaderFunctions``; an error ends the header where it happened.

        Args:
            titles: Column title by field name; other fields render ``<no value>``.

        Returns:
            The header text.
        """
        header = V(dict(titles or {}), MAP_STRING_STRING)
        return partial_execute(self._trees, self.text, header, HEADER_FUNCS)


def render(text: str, data: Any, **options: Any) -> str:
    """Parse and execute a template once (see :meth:`Template.execute` for options).

    Args:
        text: The template source.
        data: The value ``.`` refers to.
        **options: ``missingkey``, ``type_name``, ``go_type``.

    Returns:
        The rendered text.
    """
    return Template(text).execute(data, **options)


def go_json(value: Any, go_type: GoType | None = None) -> str:
    """Encode a value as Docker's template ``json`` function does.

    Args:
        value: The value (plain dicts are Go maps: sorted keys).
        go_type: Its Go type, if not the dynamic one.

    Returns:
        Compact JSON without HTML escaping (Docker turns it off); ``""`` for NaN/Inf.
    """
    try:
        return marshal(V(value, go_type) if go_type else dyn(value), escape_html=False)
    except JSONError:
        return ""


def go_sprint(value: Any) -> str:
    """Print a value as Go's ``fmt.Sprint`` prints the equivalent ``interface{}``.

    Args:
        value: A Python value (typed dynamically, or a :class:`Typed`).

    Returns:
        E.g. ``[a b]`` for a list, ``map[a:1 b:2]`` for a dict, ``<nil>`` for None.
    """
    return print_value_top(dyn(value))
