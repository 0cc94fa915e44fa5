"""Running one command: parse, dispatch to its handler, turn errors into exit codes.

A thin layer over the library: each command parses its flags, calls the library and
prints the result the way Docker prints it. Errors become one ``Error: …`` line on stderr
and an exit code from :mod:`dockyard.cli.exitcodes`; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import sys

from dockyard.cli.context import Context
from dockyard.cli.exitcodes import EXIT_INTERRUPTED, EXIT_PIPE, EXIT_UNEXPECTED, exit_code
from dockyard.cli.flags import UsageError
from dockyard.cli.parser import parse_command_line
from dockyard.errors import DockyardError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

__all__ = ["main"]


def _resolve(handler: Any) -> Callable[..., Any]:
    """A handler given as ``module:function`` (under ``dockyard.cli``), imported now."""
    if not isinstance(handler, str):
        return handler  # type: ignore[no-any-return]
    import importlib

    module, _, name = handler.partition(":")
    return getattr(importlib.import_module(f"dockyard.cli.{module}"), name)  # type: ignore[no-any-return]


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdin: Any = None,
    stdout: Any = None,
    stderr: Any = None,
) -> int:
    """Run the command line with ``argv`` and return the exit code.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
        env: the environment (default: ``os.environ``).
        stdin: binary input stream (default: ``sys.stdin.buffer``).
        stdout: text output stream (default: ``sys.stdout``).
        stderr: text error stream (default: ``sys.stderr``).
    """
    ctx = Context(stdin=stdin, stdout=stdout, stderr=stderr)
    if env is not None:
        ctx.env = env
    try:
        invocation = parse_command_line(list(sys.argv[1:] if argv is None else argv))
    except UsageError as exc:
        ctx.err(exc.message)
        return exc.code
    if invocation.args is None:
        ctx.stdout.write(invocation.text or "")
        return 0
    args = invocation.args
    ctx.debug = args.debug
    if args.root:
        from pathlib import Path

        ctx.root = Path(args.root)
    handler = args.handler
    try:
        return int(_resolve(handler)(ctx, args))
    except DockyardError as exc:
        if _broken_pipe(exc):
            return EXIT_PIPE
        if ctx.debug:
            _print_traceback(ctx)
        # errors the Docker CLI prints itself (template errors, ``open x: …``) have no prefix
        ctx.err(str(exc) if getattr(exc, "bare_message", False) else f"Error: {exc}")
        return exit_code(exc)
    except KeyboardInterrupt:
        ctx.err("Error: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_PIPE
    except Exception as exc:  # a bug: say so, briefly unless --debug
        if ctx.debug:
            _print_traceback(ctx)
        else:
            ctx.err(f"Error: unexpected {type(exc).__name__}: {exc} (run with --debug for "
                    "details)")
        return EXIT_UNEXPECTED


def _broken_pipe(exc: BaseException) -> bool:
    """Whether an error was caused by stdout's reader going away (EPIPE)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, BrokenPipeError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _print_traceback(ctx: Context) -> None:
    import traceback

    traceback.print_exc(file=ctx.stderr)
