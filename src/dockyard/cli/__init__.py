"""The ``dockyard`` command line (a thin layer over the library)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from dockyard import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main", "run"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` and return the exit code."""
    parser = argparse.ArgumentParser(prog="dockyard", description=__doc__)
    parser.add_argument("--version", action="version", version=f"dockyard {__version__}")
    parser.parse_args(argv)
    parser.print_help()
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
