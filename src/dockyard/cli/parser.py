"""The argument parser: Docker's command names, aliases and flags."""

from __future__ import annotations

import argparse
import sys

from dockyard._version import __version__
from dockyard.cli.commands import COMMANDS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["build_parser"]

#: Commands that exist both at the top level and under ``image`` (Docker's aliases).
_IMAGE_ALIASES = {"ls": "images", "list": "images", "rm": "rmi", "remove": "rmi"}


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose messages go to the context's stderr."""

    ctx: Context | None = None

    def _print_message(self, message: str, file: Any = None) -> None:
        if not message:
            return
        if self.ctx is None:
            super()._print_message(message, file)
            return
        stream = self.ctx.stderr if file is sys.stderr else self.ctx.stdout
        stream.write(message)


def _help(parser: argparse.ArgumentParser) -> Any:
    """A handler that prints a command group's help (``dockyard image``)."""

    def show(ctx: Context, args: argparse.Namespace) -> int:
        del args
        parser.print_help(ctx.stdout)
        return 0

    return show


def build_parser(ctx: Context) -> argparse.ArgumentParser:
    """The ``dockyard`` parser, with every command at the top level and under ``image``."""
    _Parser.ctx = ctx
    parser = _Parser(
        prog="dockyard",
        description="Docker's image commands on a daemon-less, Docker-compatible store.",
    )
    parser.add_argument("--version", action="version", version=f"dockyard {__version__}")
    parser.add_argument("--root", metavar="DIR",
                        help="Store directory (default: $DOCKYARD_ROOT, else "
                        "$XDG_DATA_HOME/dockyard)")
    parser.add_argument("--debug", action="store_true", help="Print tracebacks of errors")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    image = sub.add_parser("image", help="Manage images (docker image …)")
    image.set_defaults(handler=_help(image))
    image_sub = image.add_subparsers(title="image commands", metavar="COMMAND")
    system = sub.add_parser("system", help="Store-wide information (docker system …)")
    system.set_defaults(handler=_help(system))
    system_sub = system.add_subparsers(title="system commands", metavar="COMMAND")
    for command in COMMANDS:
        if command.where == "system":
            command.register(system_sub)
            continue
        if command.where != "image":
            command.register(sub)
        if command.where != "top":
            command.register(image_sub)
    for alias, name in _IMAGE_ALIASES.items():
        original = image_sub.choices.get(name)
        if original is not None:
            image_sub._name_parser_map[alias] = original
    return parser
