"""The command tree: Docker's command names, aliases, global flags and help.

Commands are declared in :mod:`dockyard.cli.commands`; this module turns each declaration
into a :class:`~dockyard.cli.flags.Spec` at its place in the tree (top level, under
``image``, under ``system``) and finds the command an argument list names.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from dockyard._version import __version__
from dockyard.cli.commands import COMMANDS, Command
from dockyard.cli.flags import PROGRAM, Option, Positional, Spec, UsageError, flag_usages

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

__all__ = ["Invocation", "parse_command_line", "spec_for"]

#: Under ``image``, Docker names ``images`` and ``rmi`` differently: (name, aliases).
#: ``image images`` and ``image rmi`` are kept as undocumented spellings.
_IMAGE_NAMES = {"images": ("ls", ("list",)), "rmi": ("rm", ("remove",))}

#: The command groups (a command's ``where`` names its group when it is not ``both``,
#: ``top`` or ``image``); ``image`` also holds every ``both`` command.
_GROUPS = {
    "image": "Manage images",
    "system": "Manage the store",
    "manifest": "Manage Docker image manifests and manifest lists",
}

#: Top-level spellings whose Docker usage line differs from the ``image`` one's.
_TOP_USAGE = {"inspect": "[OPTIONS] NAME|ID [NAME|ID...]"}

#: Commands whose flags must come before the arguments (pflag's ``SetInterspersed(false)``).
_NOT_INTERSPERSED = {"tag"}

_GLOBAL = [
    Option("debug", "debug", "D", "bool", False, help="Print tracebacks of errors"),
    Option("root", "root", None, "value", None,
           help="Store directory (default: $DOCKYARD_ROOT, else $XDG_DATA_HOME/dockyard)"),
    Option("version", "version", "v", "bool", False,
           help="Print version information and quit"),
]


@dataclass
class Invocation:
    """What a command line asks for: a command to run, or text to print.

    Attributes:
        args: the parsed arguments (``handler``, ``debug``, ``root`` included), or None.
        text: help or version text for stdout, when that is all that was asked.
    """

    args: argparse.Namespace | None = None
    text: str | None = None


def _option(flags: Sequence[str], options: dict[str, Any]) -> Option | Positional:
    """An argparse-style ``add_argument`` declaration as an :class:`Option`."""
    longs = [f[2:] for f in flags if f.startswith("--")]
    shorts = [f[1:] for f in flags if f.startswith("-") and not f.startswith("--")]
    if not longs and not shorts:
        name = flags[0]
        return Positional(str(options.get("dest", name)), options.get("nargs"),
                          str(options.get("metavar", name.upper())), options.get("default"))
    long = longs[0] if longs else None
    dest = str(options.get("dest") or (long or shorts[0]).replace("-", "_"))
    action, convert = options.get("action"), options.get("type")
    default = options.get("default")
    help_text = str(options.get("help", ""))
    short = shorts[0] if shorts else None
    if action == "store_true":
        return Option(dest, long, short, "bool", bool(default), help=help_text)
    if options.get("nargs") == "?" and "const" in options:  # a bool flag with default true
        value = convert(default) if callable(convert) and isinstance(default, str) else default
        return Option(dest, long, short, "bool", value, help=help_text)
    kind = "append" if action == "append" else "value"
    return Option(dest, long, short, kind, default, convert if callable(convert) else None,
                  options.get("choices"), help_text, options.get("metavar"))


def _args_rule(command: Command, positionals: list[Positional]) -> tuple[Any, ...]:
    if command.args is not None:
        rule, *numbers = command.args.split()
        return (rule, *map(int, numbers))
    required = sum(1 for p in positionals if p.nargs in (None, "+"))
    if not positionals:
        return ("none",)
    if any(p.nargs in ("+", "*") for p in positionals):
        return ("min", required)
    optional = sum(1 for p in positionals if p.nargs == "?")
    if not optional:
        return ("exact", required)
    return ("max", optional) if not required else ("range", required, required + optional)


def _use(command: Command, options: list[Option], positionals: list[Positional]) -> str:
    if command.usage is not None:
        return command.usage
    words = ["[OPTIONS]"] if options else []
    for p in positionals:
        words.append({"?": f"[{p.metavar}]", "+": f"{p.metavar} [{p.metavar}...]",
                      "*": f"[{p.metavar}...]"}.get(p.nargs or "", p.metavar))
    return " ".join(words)


def spec_for(command: Command, path: str, aliases: list[str] | None = None) -> Spec:
    """The parser's view of a command declared at ``path`` (``dockyard image ls``)."""
    options: list[Option] = []
    positionals: list[Positional] = []
    for flags, opts in command.arguments:
        item = _option(flags, dict(opts))
        (options if isinstance(item, Option) else positionals).append(item)  # type: ignore[arg-type]
    options.sort(key=lambda o: (o.long or o.short or "").lower())
    return Spec(path, _use(command, options, positionals), command.help, options, positionals,
                _args_rule(command, positionals), aliases or [path], command.handler,
                interspersed=command.name not in _NOT_INTERSPERSED)


def _tree() -> tuple[dict[str, Command], dict[str, dict[str, tuple[str, Command]]]]:
    """Top-level commands, and each group's ``spelling → (primary name, command)``."""
    top: dict[str, Command] = {}
    groups: dict[str, dict[str, tuple[str, Command]]] = {"image": {}}
    for command in COMMANDS:
        if command.where not in ("both", "top", "image"):
            groups.setdefault(command.where, {})[command.name] = (command.name, command)
            continue
        if command.where != "image":
            top[command.name] = command
        if command.where != "top":
            name, aliases = _IMAGE_NAMES.get(command.name, (command.name, ()))
            for spelling in (name, *aliases, command.name):
                groups["image"].setdefault(spelling, (name, command))
    return top, groups


def _aliases(command: Command) -> list[str]:
    """Every documented spelling of a command, as Docker lists them in the help."""
    if command.where not in ("both", "top", "image"):
        return [f"{PROGRAM} {command.where} {command.name}"]
    found = []
    if command.where != "top":
        name, aliases = _IMAGE_NAMES.get(command.name, (command.name, ()))
        found += [f"{PROGRAM} image {spelling}" for spelling in (name, *aliases)]
    if command.where != "image":
        found.append(f"{PROGRAM} {command.name}")
    return found


def parse_command_line(argv: Sequence[str]) -> Invocation:
    """Find the command ``argv`` names and parse its arguments.

    Raises:
        UsageError: an unknown command or flag, or the wrong number of arguments.
    """
    top_spec = Spec(PROGRAM, "[OPTIONS] COMMAND", "", _GLOBAL, [], ("none",))
    values: dict[str, Any] = {"debug": False, "root": None, "version": False}
    args = list(argv)
    while args and args[0].startswith("-") and args[0] != "-":
        flag, eq, text = args.pop(0).partition("=")
        option = next((o for o in _GLOBAL if flag in (f"--{o.long}", f"-{o.short}")), None)
        if flag in ("-h", "--help"):
            return Invocation(text=_top_help())
        if option is None:
            message = (f"unknown flag: {flag}" if flag.startswith("--")
                       else f"unknown shorthand flag: '{flag[1:2]}' in {flag}")
            raise top_spec.usage_error(message)
        if option.kind == "value" and not eq:
            if not args:
                raise top_spec.usage_error(f"flag needs an argument: {flag}")
            text = args.pop(0)
        values[option.dest] = text if option.kind == "value" else (not eq or text != "false")
    if values["version"]:
        return Invocation(text=f"{PROGRAM} {__version__}\n")
    if not args:
        return Invocation(text=_top_help())
    top, groups = _tree()
    name, rest = args[0], args[1:]
    if name in groups:
        members = groups[name]
        if not rest or rest[0] in ("--help", "-h"):
            return Invocation(text=_group_help(name, members))
        if rest[0] not in members:
            raise UsageError(f"{PROGRAM}: unknown command: {PROGRAM} {name} {rest[0]}\n\n"
                             f"Usage:  {PROGRAM} {name}\n\n"
                             f"Run '{PROGRAM} {name} --help' for more information", 1)
        primary, command = members[rest[0]]
        spec = spec_for(command, f"{PROGRAM} {name} {primary}", _aliases(command))
        rest = rest[1:]
    elif name in top:
        command = top[name]
        spec = spec_for(command, f"{PROGRAM} {name}", _aliases(command))
        spec.use = _TOP_USAGE.get(name, spec.use)
    else:
        raise UsageError(f"{PROGRAM}: unknown command: {PROGRAM} {name}\n\n"
                         f"Run '{PROGRAM} --help' for more information", 1)
    parsed = spec.parse(rest)
    if parsed is None:
        return Invocation(text=spec.help_text())
    parsed.debug, parsed.root = values["debug"], values["root"]
    parsed.command_path = spec.path
    return Invocation(args=parsed)


def _top_help() -> str:
    top, groups = _tree()
    width = max(len(n) for n in (*top, *groups)) + 3
    lines = [f"\nUsage:  {PROGRAM} [OPTIONS] COMMAND\n",
             "Docker's image commands on a daemon-less, Docker-compatible store.\n",
             "Management Commands:"]
    lines += [f"  {n.ljust(width)}{_GROUPS.get(n, '')}" for n in sorted(groups)]
    lines += ["", "Commands:"]
    lines += [f"  {n.ljust(width)}{c.help}" for n, c in sorted(top.items())]
    lines += ["", "Global Options:", flag_usages(_GLOBAL),
              f"Run '{PROGRAM} COMMAND --help' for more information on a command."]
    return "\n".join(lines) + "\n"


def _group_help(name: str, members: dict[str, tuple[str, Command]]) -> str:
    commands = dict(members.values())
    width = max(len(n) for n in commands) + 3
    lines = [f"\nUsage:  {PROGRAM} {name} COMMAND\n", f"{_GROUPS.get(name, '')}\n", "Commands:"]
    lines += [f"  {n.ljust(width)}{c.help}" for n, c in sorted(commands.items())]
    lines += ["", f"Run '{PROGRAM} {name} COMMAND --help' for more information on a command."]
    return "\n".join(lines) + "\n"
