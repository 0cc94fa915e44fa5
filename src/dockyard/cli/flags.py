"""Docker's flag syntax and usage errors: a parser that behaves as cobra and pflag do.

The commands are declared argparse-style (:mod:`dockyard.cli.commands`); :class:`Spec`
reads those declarations and :meth:`Spec.parse` parses a command's arguments the way the
Docker CLI does: ``--flag=value``, ``--flag value``, grouped shorthands (``-aq``,
``-fdangling=true``, ``-H=false``), flags anywhere among the arguments, ``--`` ending the
flags. Mistakes raise :class:`UsageError` with the Docker CLI's text and exit status:
flag errors exit 125, a wrong number of arguments exits 1 (Docker's ``cli/required.go``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GO_BOOL", "Option", "Positional", "Spec", "UsageError", "go_bool"]

PROGRAM = "dockyard"

#: Go's ``strconv.ParseBool``: every spelling it accepts.
GO_BOOL = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
           "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}


class UsageError(Exception):
    """A command line the CLI refuses, with the text to print and the exit status.

    Args:
        message: the whole text for stderr (without the final newline).
        code: 125 for flag errors, 1 for a wrong number of arguments (as Docker).
    """

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class FlagValueError(ValueError):
    """A flag value a converter refuses; the message follows ``invalid argument … flag:``."""


def go_bool(text: str) -> bool:
    """Parse a boolean flag value as Go's ``strconv.ParseBool``.

    Raises:
        FlagValueError: with Go's message.
    """
    try:
        return GO_BOOL[text]
    except KeyError:
        raise FlagValueError(f'strconv.ParseBool: parsing "{text}": invalid syntax') from None


@dataclass
class Option:
    """A flag: ``-s, --long``, what it stores and how its value is converted."""

    dest: str
    long: str | None
    short: str | None
    kind: str  # "bool", "value" or "append"
    default: Any = None
    convert: Callable[[str], Any] | None = None
    choices: Sequence[str] | None = None
    help: str = ""
    metavar: str | None = None

    @property
    def label(self) -> str:
        """The flag as pflag names it in errors: ``-f, --filter`` or ``--digests``."""
        if self.short and self.long:
            return f"-{self.short}, --{self.long}"
        return f"-{self.short}" if self.short else f"--{self.long}"

    def value(self, text: str) -> Any:
        """Convert a value given on the command line (pflag's ``invalid argument`` error)."""
        try:
            if self.kind == "bool":
                return go_bool(text)
            if self.choices is not None and text not in self.choices:
                raise FlagValueError("must be one of " + ", ".join(self.choices))
            if self.convert is int:
                try:
                    return int(text, 10)
                except ValueError:
                    raise FlagValueError(
                        f'strconv.ParseInt: parsing "{text}": invalid syntax') from None
            return self.convert(text) if self.convert is not None else text
        except (FlagValueError, argparse.ArgumentTypeError, ValueError) as exc:
            raise _FlagError(f'invalid argument "{text}" for "{self.label}" flag: {exc}') \
                from None


@dataclass
class Positional:
    """A positional argument: ``nargs`` as argparse spells it (None, ``?``, ``+``, ``*``)."""

    dest: str
    nargs: str | None
    metavar: str
    default: Any = None


class _FlagError(Exception):
    """A flag error before the usage lines are added."""


@dataclass
class Spec:
    """One command as the parser sees it.

    Args:
        path: the command path, e.g. ``dockyard image ls``.
        use: what follows the path in the usage line, e.g. ``[OPTIONS] IMAGE``.
        summary: the one-line description.
        options: the flags.
        positionals: the positional arguments.
        args: Docker's rule for the number of arguments: ``("exact", n)``, ``("min", n)``,
            ``("max", n)``, ``("range", n, m)`` or ``("none",)``.
        aliases: every spelling of the command (for the help).
        handler: ``module:function`` of the handler.
        interspersed: flags may follow the arguments (false for ``tag``, as in Docker:
            everything after the first argument is an argument).
    """

    path: str
    use: str
    summary: str
    options: list[Option]
    positionals: list[Positional]
    args: tuple[Any, ...]
    aliases: list[str] = field(default_factory=list)
    handler: Any = None
    interspersed: bool = True

    @property
    def use_line(self) -> str:
        """``dockyard images [OPTIONS] [REPOSITORY[:TAG]]``."""
        return f"{self.path} {self.use}".rstrip()

    def usage_error(self, message: str) -> UsageError:
        """A flag error as cobra's ``FlagErrorFunc`` prints it (exit 125)."""
        return UsageError(f"{message}\n\nUsage:  {self.use_line}\n\n"
                          f"Run '{self.path} --help' for more information", 125)

    def parse(self, argv: Sequence[str]) -> argparse.Namespace | None:
        """Parse the arguments after the command name; ``None`` when help was asked for.

        Raises:
            UsageError: an unknown flag, a flag without its value or with a bad one, or
                the wrong number of arguments.
        """
        values: dict[str, Any] = {o.dest: ([] if o.kind == "append" and o.default is None
                                           else o.default) for o in self.options}
        positionals: list[str] = []
        try:
            if self._parse_flags(list(argv), values, positionals):
                return None
        except _FlagError as exc:
            raise self.usage_error(str(exc)) from None
        self._check_count(len(positionals))
        namespace = argparse.Namespace(**values)
        rest = list(positionals)
        for spec in self.positionals:
            if spec.nargs in ("+", "*"):
                setattr(namespace, spec.dest, rest)
                rest = []
            elif spec.nargs == "?":
                setattr(namespace, spec.dest, rest.pop(0) if rest else spec.default)
            else:
                setattr(namespace, spec.dest, rest.pop(0) if rest else None)
        namespace.handler = self.handler
        return namespace

    def _parse_flags(self, args: list[str], values: dict[str, Any],
                     positionals: list[str]) -> bool:
        longs = {o.long: o for o in self.options if o.long}
        shorts: dict[str, Option] = {o.short: o for o in self.options if o.short}
        while args:
            arg = args.pop(0)
            if len(arg) < 2 or arg[0] != "-":
                positionals.append(arg)
                if not self.interspersed:
                    positionals.extend(args)
                    break
            elif arg == "--":
                positionals.extend(args)
                break
            elif arg[1] == "-":
                name, eq, text = arg[2:].partition("=")
                if not name or name[0] == "-" or name[0] == "=":
                    raise _FlagError(f"bad flag syntax: {arg}")
                option = longs.get(name)
                if option is None:
                    if name == "help":
                        return not eq or GO_BOOL.get(text, True)
                    raise _FlagError(f"unknown flag: --{name}")
                if not eq:
                    if option.kind == "bool":
                        text = "true"
                    elif args:
                        text = args.pop(0)
                    else:
                        raise _FlagError(f"flag needs an argument: --{name}")
                self._set(option, text, values)
            elif self._shorthands(arg, args, shorts, values):
                return True
        return False

    def _shorthands(self, arg: str, args: list[str], shorts: dict[str, Option],
                    values: dict[str, Any]) -> bool:
        rest = arg[1:]
        while rest:
            char = rest[0]
            option = shorts.get(char)
            if option is None:
                if char == "h":
                    return True
                raise _FlagError(f"unknown shorthand flag: '{char}' in {arg}")
            if len(rest) > 2 and rest[1] == "=":
                text, rest = rest[2:], ""
            elif option.kind == "bool":
                text, rest = "true", rest[1:]
            elif len(rest) > 1:
                text, rest = rest[1:], ""
            elif args:
                text, rest = args.pop(0), ""
            else:
                raise _FlagError(f"flag needs an argument: '{char}' in {arg}")
            self._set(option, text, values)
        return False

    @staticmethod
    def _set(option: Option, text: str, values: dict[str, Any]) -> None:
        value = option.value(text)
        if option.kind == "append":
            values[option.dest] = [*(values[option.dest] or []), value]
        else:
            values[option.dest] = value

    def _check_count(self, count: int) -> None:
        """Docker's ``cli/required.go`` checks and texts (exit 1)."""
        rule, *numbers = self.args
        path, use = self.path, self.use_line
        if rule == "none" and count:
            verb = "accepts no arguments"
        elif rule == "exact" and count != numbers[0]:
            verb = f"requires {_plural(numbers[0])}"
        elif rule == "max" and count > numbers[0]:
            verb = f"requires at most {_plural(numbers[0])}"
        elif rule == "range" and not numbers[0] <= count <= numbers[1]:
            verb = f"requires at least {numbers[0]} and at most {_plural(numbers[1])}"
        elif rule == "min" and count < numbers[0]:
            raise UsageError(f"{PROGRAM}: '{path}' requires at least {_plural(numbers[0])}\n\n"
                             f"Usage:  {use}\n\nSee '{path} --help' for more information", 1)
        else:
            return
        raise UsageError(f"{PROGRAM}: '{path}' {verb}\n\nUsage:  {use}\n\n"
                         f"Run '{path} --help' for more information", 1)

    def help_text(self) -> str:
        """The command's help, laid out as the Docker CLI lays it out."""
        parts = [f"\nUsage:  {self.use_line}\n", f"{self.summary}\n"]
        if len(self.aliases) > 1:
            parts.append("Aliases:\n  " + ", ".join(self.aliases) + "\n")
        if self.options:
            parts.append("Options:\n" + flag_usages(self.options))
        return "\n".join(parts)


def _plural(count: int) -> str:
    return f"{count} argument" + ("" if count == 1 else "s")


def flag_usages(options: Sequence[Option]) -> str:
    """Flags listed as pflag's ``FlagUsages`` lists them (aligned descriptions)."""
    options = [o for o in options if o.help != argparse.SUPPRESS]
    if not options:
        return ""
    heads = []
    for option in options:
        head = f"  -{option.short}, --{option.long}" if option.short and option.long else (
            f"      --{option.long}" if option.long else f"  -{option.short}")
        if option.kind != "bool":
            head += " " + ("list" if option.kind == "append" else
                           "int" if option.convert is int else "string")
        heads.append(head)
    width = max(len(head) for head in heads) + 3
    lines = []
    for head, option in zip(heads, options, strict=True):
        text = option.help
        if option.kind == "value" and option.default not in (None, ""):
            text += f' (default "{option.default}")'
        lines.append(f"{head.ljust(width)}{text}".rstrip())
    return "\n".join(lines) + "\n"
