"""``dockyard serve``: the Docker Engine API on a unix socket (and optionally TCP)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from dockyard.errors import InvalidArgumentError

if TYPE_CHECKING:
    from dockyard.cli.context import Context

__all__ = ["cmd_serve"]


def cmd_serve(ctx: Context, args: argparse.Namespace) -> int:
    """Serve until SIGTERM/SIGINT; ``DOCKER_HOST=unix://<root>/dockyard.sock docker …``."""
    try:
        from dockyard.server.options import options_from
        from dockyard.server.serve import serve
    except ImportError as exc:  # the optional dependency is missing
        raise InvalidArgumentError(
            f"dockyard serve needs the server extra: pip install 'dockyard[server]' ({exc})"
        ) from None
    from dockyard.cli.context import default_root

    root = ctx.root or default_root(ctx.env)
    return serve(options_from(args, root), stderr=ctx.stderr)
