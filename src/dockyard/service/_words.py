"""Shell-word processing of Dockerfile instructions (the Dockerfile lexer's ``ProcessWord``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from dockyard.errors import InvalidArgumentError

__all__ = ["InvalidChange", "process_word", "process_words", "split_words"]


class InvalidChange(InvalidArgumentError):
    """A ``--change`` instruction is not allowed or cannot be parsed (Docker's wording)."""

def split_words(text: str) -> list[str]:
    """Split on blanks outside quotes; quotes and backslashes are kept (``parseWords``)."""
    words: list[str] = []
    current, quote, i = "", "", 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and quote != "'" and i + 1 < len(text):
            current += text[i : i + 2]
            i += 2
            continue
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch.isspace():
            if current:
                words.append(current)
            current = ""
            i += 1
            continue
        current += ch
        i += 1
    if current:
        words.append(current)
    return words


def _lookup(name: str, env: Sequence[str]) -> str | None:
    found = None
    for entry in env:
        key, _, value = entry.partition("=")
        if key == name:
            found = value
    return found


def _expand(word: str, env: Sequence[str], split: bool) -> list[str]:
    words: list[str] = []
    current, i, quote, touched = "", 0, "", False

    def variable(start: int) -> tuple[str, int]:
        if start < len(word) and word[start] == "{":
            end = word.find("}", start)
            if end < 0:
                raise InvalidChange(f"missing '}}' in '{word}'")
            inner = word[start + 1 : end]
            match = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-+])?(.*)", inner, re.S)
            if match is None:
                raise InvalidChange(f"bad substitution in '{word}'")
            name, op, arg = match.groups()
            value = _lookup(name, env)
            if op is None:
                return value or "", end + 1
            empty = value is None or (op.startswith(":") and value == "")
            if op.endswith("-"):
                return (process_word(arg, env) if empty else value or ""), end + 1
            return ("" if empty else process_word(arg, env)), end + 1
        match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(word, start)
        if match is None:
            return "$", start
        return _lookup(match.group(0), env) or "", match.end()

    while i < len(word):
        ch = word[i]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                current += ch
            i += 1
            continue
        if ch == "\\" and i + 1 < len(word):
            nxt = word[i + 1]
            if quote == '"' and nxt not in '"$\\':
                current += ch
            else:
                current += nxt
                i += 2
                continue
            i += 1
            continue
        if ch == "$":
            value, i = variable(i + 1)
            if split and not quote:
                parts = value.split()
                if parts and value[:1].isspace() and (current or touched):
                    words.append(current)
                    current, touched = "", False
                for part in parts[:-1]:
                    words.append(current + part)
                    current = ""
                current += parts[-1] if parts else ""
                touched = touched or bool(parts)
            else:
                current += value
            continue
        if ch in "'\"" and not quote:
            quote, touched = ch, True
        elif ch == '"' and quote == '"':
            quote = ""
        elif split and not quote and ch.isspace():
            if current or touched:
                words.append(current)
            current, touched = "", False
        else:
            current += ch
        i += 1
    if current or touched or not split:
        words.append(current)
    return words


def process_word(word: str, env: Sequence[str]) -> str:
    """Remove quotes and escapes and expand ``$VAR`` / ``${VAR:-x}`` / ``${VAR:+x}``."""
    return _expand(word, env, False)[0]


def process_words(word: str, env: Sequence[str]) -> list[str]:
    """:func:`process_word`, then split on blanks outside quotes (EXPOSE only)."""
    return _expand(word, env, True)
