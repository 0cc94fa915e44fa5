"""The ``dockyard`` command line: Docker's image commands on a daemon-less store.

This module is what the console script imports, so it imports nothing itself: a
command's code is loaded when the command runs (see :mod:`dockyard.cli.app`).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

__all__ = ["main", "run"]


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdin: Any = None,
    stdout: Any = None,
    stderr: Any = None,
) -> int:
    """Run the command line with ``argv``; return the exit code (see ``cli.app.main``)."""
    from dockyard.cli.app import main as run_main

    return run_main(argv, env=env, stdin=stdin, stdout=stdout, stderr=stderr)


def run() -> None:
    """Console-script entry point (``--version`` is answered without loading anything)."""
    if sys.argv[1:] == ["--version"]:
        from dockyard._version import __version__

        sys.stdout.write(f"dockyard {__version__}\n")
        sys.exit(0)
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away: exit as Docker does (SIGPIPE)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141
    sys.exit(code)
