"""A faithful Go ``text/template`` engine with the Docker CLI's functions and formatters.

Modules, in the order a template goes through them:

* :mod:`.lex`, :mod:`.parse`, :mod:`.nodes`, :mod:`.number`: Go's lexer and parser, the
  parse tree and numeric constants;
* :mod:`.execute` and :mod:`.evaluate`: the executor;
* :mod:`.types`: Go types over JSON-shaped Python data (a plain dict is a Go map, a
  :class:`Typed` value or a schema declares structs and other named types);
* :mod:`.funcs` and :mod:`.dockerfuncs`: Go's builtins and Docker's functions;
* :mod:`.gofmt`, :mod:`.fmtbase`, :mod:`.printf`, :mod:`.strconv`: Go's ``fmt`` and
  ``strconv``; :mod:`.jsonenc`: ``encoding/json``; :mod:`.gotime`: ``time``;
* :mod:`.schema`: the Go types ``docker image inspect -f`` templates see;
* :mod:`.docker`: ``--format`` and ``inspect -f`` as docker/cli runs them;
* :mod:`.errors`: :class:`TemplateError` and its Go-worded subclasses.

Pure: no I/O, no environment, no clock.
"""

from __future__ import annotations

from dockyard.cli.gotemplate.docker import (
    HISTORY_CONTEXT,
    IMAGE_CONTEXT,
    InspectTemplate,
    context_type,
    format_inspect,
    format_rows,
)
from dockyard.cli.gotemplate.errors import ExecError, ParseError, TemplateError
from dockyard.cli.gotemplate.schema import IMAGE_INSPECT
from dockyard.cli.gotemplate.types import Field, GoType, Typed

__all__ = [
    "HISTORY_CONTEXT",
    "IMAGE_CONTEXT",
    "IMAGE_INSPECT",
    "ExecError",
    "Field",
    "GoType",
    "InspectTemplate",
    "ParseError",
    "TemplateError",
    "Typed",
    "context_type",
    "format_inspect",
    "format_rows",
]
