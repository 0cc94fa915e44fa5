"""``python -m dockyard.server --root DIR [--host …]``: serve the Engine API."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dockyard.errors import DockyardError


def main(argv: list[str] | None = None) -> int:
    """Parse the flags and serve until stopped; return the exit code."""
    from dockyard.server.options import add_arguments, options_from
    from dockyard.server.serve import serve

    parser = argparse.ArgumentParser(
        prog="python -m dockyard.server", description="Serve the Docker Engine API over a store."
    )
    parser.add_argument(
        "--root", metavar="DIR", help="Store directory (default: $DOCKYARD_ROOT, else the user's)"
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.root:
        root = Path(args.root)
    else:
        from dockyard.cli.context import default_root

        root = default_root(os.environ)
    try:
        return serve(options_from(args, root))
    except DockyardError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
