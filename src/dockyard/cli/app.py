"""Running one command: parse, dispatch to its handler, turn errors into exit codes.

A thin layer over the library: each command parses its flags, calls the library and
prints the result the way Docker prints it. Errors become one ``Error: …`` line on stderr
and an exit code from :mod:`dockyard.cli.exitcodes`; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import sys

from dockyard.cli.context import Context
from dockyard.cli.exitcodes import EXIT_UNEXPECTED, EXIT_USAGE, exit_code
from dockyard.cli.parser import build_parser
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
    parser = build_parser(ctx)
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        return 0 if code == 0 else EXIT_USAGE
    ctx.debug = args.debug
    if args.root:
        from pathlib import Path

        ctx.root = Path(args.root)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(ctx.stdout)
        return 0
    try:
        return int(_resolve(handler)(ctx, args))
    except DockyardError as exc:
        if ctx.debug:
            _print_traceback(ctx)
        if getattr(exc, "bare_message", False):  # template errors, as the Docker CLI
            ctx.err(str(exc))
            return 1
        ctx.err(f"Error: {exc}")
        return exit_code(exc)
    except KeyboardInterrupt:
        ctx.err("Error: interrupted")
        return 130
    except BrokenPipeError:
        return 141
    except Exception as exc:  # a bug: say so, briefly unless --debug
        if ctx.debug:
            _print_traceback(ctx)
        else:
            ctx.err(f"Error: unexpected {type(exc).__name__}: {exc} (run with --debug for "
                    "details)")
        return EXIT_UNEXPECTED


def _print_traceback(ctx: Context) -> None:
    import traceback

    traceback.print_exc(file=ctx.stderr)
