r"""JSON on the wire, byte for byte as dockerd writes it (Go's ``encoding/json``).

* Ordinary responses (``httputils.WriteJSON``): compact, keys in the order given, raw
  UTF-8, no HTML escaping, a trailing newline.
* Stream messages (load, import, pull progress; events): Go's default escaping of ``<``,
  ``>`` and ``&`` as ``\\u003c``, ``\\u003e``, ``\\u0026``; messages of the JSON message
  stream end with ``\\r\\n``, events with ``\\n``.

Go writes ``\\b`` and ``\\f`` as ``\\u0008`` and ``\\u000c``, always escapes U+2028 and
U+2029, and replaces invalid UTF-8 with U+FFFD; so does :func:`dumps`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dockyard.units import human_size

__all__ = ["dumps", "error_message", "progress_message", "status_message", "stream_message"]

_GO_ESCAPES = {"b": "\\u0008", "f": "\\u000c"}
_ESCAPE_PAIR = re.compile(r"\\(.)")
_LINE_SEPARATORS = {"\u2028": "\\u2028", "\u2029": "\\u2029"}
_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_HTML_RE = re.compile("[<>&]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _go_pair(match: re.Match[str]) -> str:
    return _GO_ESCAPES.get(match.group(1), match.group(0))


def dumps(value: Any, *, escape_html: bool = False, newline: str = "\n") -> bytes:
    """Encode ``value`` as Go does, followed by ``newline``.

    Args:
        value: JSON data (dicts keep their key order).
        escape_html: escape ``<``, ``>`` and ``&`` (Go's default; not WriteJSON's).
        newline: what ends the document.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if "\\b" in text or "\\f" in text:
        text = _ESCAPE_PAIR.sub(_go_pair, text)
    if "\u2028" in text or "\u2029" in text:
        for char, escaped in _LINE_SEPARATORS.items():
            text = text.replace(char, escaped)
    if escape_html and _HTML_RE.search(text):
        text = _HTML_RE.sub(lambda m: _HTML[m.group()], text)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        data = _SURROGATE.sub("\ufffd", text).encode("utf-8")
    return data + newline.encode("ascii")


def stream_message(line: str) -> bytes:
    """``{"stream": line}`` as a message of the JSON message stream."""
    return dumps({"stream": line}, escape_html=True, newline="\r\n")


def status_message(status: str, ident: str = "") -> bytes:
    """``{"status": …, "id": …}`` (``id`` only when given)."""
    message: dict[str, Any] = {"status": status}
    if ident:
        message["id"] = ident
    return dumps(message, escape_html=True, newline="\r\n")


def error_message(text: str) -> bytes:
    """An error inside a stream: ``{"errorDetail": {"message": …}, "error": …}``."""
    return dumps({"errorDetail": {"message": text}, "error": text}, escape_html=True,
                 newline="\r\n")  # fmt: skip


def progress_bar(current: int, total: int | None) -> str:
    """The ``progress`` text of ``JSONProgress`` as dockerd renders it (200 columns).

    ``[=====>    ]  32.77kB/3.003MB``; just the size when the total is unknown.
    """
    if current <= 0 and not total:
        return ""
    if not total or total <= 0:
        return f"{human_size(current):>8}"
    percentage = min(int(current / total * 100) // 2, 50)
    bar = f"[{'=' * percentage}>{' ' * (50 - percentage)}] "
    numbers = f"{human_size(current):>8}"
    if current <= total:
        numbers += f"/{human_size(total)}"
    return bar + numbers


def progress_message(status: str, ident: str, current: int, total: int | None) -> bytes:
    """A progress message: ``status``, ``progressDetail``, ``progress`` and ``id``."""
    detail: dict[str, int] = {"current": current}
    if total:
        detail["total"] = total
    message: dict[str, Any] = {"status": status, "progressDetail": detail}
    bar = progress_bar(current, total)
    if bar:
        message["progress"] = bar
    if ident:
        message["id"] = ident
    return dumps(message, escape_html=True, newline="\r\n")
