"""The errors of the template engine, all :class:`~dockyard.errors.InvalidArgumentError`.

:class:`ParseError` and :class:`ExecError` carry Go's ``text/template`` message
(``template: :1: unclosed action``); the Docker layer reports both as a
:class:`TemplateError` with docker/cli's ``template parsing error:`` prefix.
"""

from __future__ import annotations

from dockyard.errors import InvalidArgumentError

__all__ = ["ExecError", "ParseError", "TemplateError"]


class TemplateError(InvalidArgumentError):
    """A template that cannot be parsed or executed; the message is Docker's (or Go's).

    The Docker CLI prints these without its ``Error:`` prefix and exits 1.
    """

    #: Printed as it is, without ``Error: `` (see the CLI's error handler).
    bare_message = True


class ParseError(TemplateError):
    """A template that does not parse; the message is Go's."""


class ExecError(TemplateError):
    """A template whose execution failed; the message is Go's."""
