"""Decoding and encoding ``repositories.json`` with the bytes and leniency of Go's encoding/json."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from dockyard.errors import FormatError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["InvalidReferenceStore", "Repositories", "copy_repositories", "decode", "encode"]

#: Outer key (familiar repository name) → inner map (familiar reference → image ID).
#: An inner ``None`` is a JSON ``null`` repository, kept so that it round-trips.
Repositories = dict[str, dict[str, str] | None]

_TOP_KEY = "Repositories"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_GO_HTML_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


class InvalidReferenceStore(FormatError):
    """The reference store file (``repositories.json``) cannot be decoded."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"failed to load reference store {path}: {detail}")


def encode(repos: Repositories) -> bytes:
    r"""Serialise ``repos`` exactly as Go's ``json.Marshal`` of moby's store.

    Compact, keys sorted at both levels, no trailing newline, ``<``, ``>``, ``&``,
    U+2028 and U+2029 escaped as ``\u003c``, ``\u2028`` etc., other non-ASCII raw.
    """
    text = json.dumps({_TOP_KEY: repos}, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    for raw, escaped in _GO_HTML_ESCAPES:
        text = text.replace(raw, escaped)
    return text.encode("utf-8")


def decode(data: bytes, path: Path) -> Repositories:
    """Parse the bytes of ``repositories.json`` as Docker's decoder would.

    Like Go's ``json.Decoder``: the first JSON value is read and anything after it
    is ignored; invalid UTF-8 and unpaired surrogate escapes become U+FFFD; the
    ``Repositories`` key matches case-insensitively and repeated occurrences merge;
    unknown keys are ignored; a ``null`` reference value reads as ``""``.

    Raises:
        InvalidReferenceStore: the content is not JSON or has the wrong shape.
    """
    text = data.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder(object_pairs_hook=_Object, parse_constant=_reject_constant)
    try:
        value, _ = decoder.raw_decode(text.lstrip(" \t\r\n"))
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise InvalidReferenceStore(path, str(exc)) from None
    if value is None:
        return {}
    if not isinstance(value, _Object):
        raise InvalidReferenceStore(path, f"cannot unmarshal {_kind(value)} into the store")
    clean = _SURROGATE_ESCAPE.search(data) is None  # then no string can hold a surrogate
    repos: Repositories = {}
    for key, section in value:
        if key.upper().lower() != _TOP_KEY.lower():
            continue
        if section is None:
            repos.clear()
            continue
        if not isinstance(section, _Object):
            raise InvalidReferenceStore(
                path, f"cannot unmarshal {_kind(section)} into field Repositories"
            )
        for name, inner in section:
            repos[name if clean else _go_string(name)] = _decode_repository(inner, path, clean)
    return repos


def copy_repositories(repos: Repositories) -> Repositories:
    """Return a copy of ``repos`` whose inner maps can be changed independently."""
    return {name: (dict(inner) if inner is not None else None) for name, inner in repos.items()}


def _decode_repository(inner: Any, path: Path, clean: bool) -> dict[str, str] | None:
    if inner is None:
        return None
    if not isinstance(inner, _Object):
        raise InvalidReferenceStore(path, f"cannot unmarshal {_kind(inner)} into a repository")
    out: dict[str, str] = {}
    for key, image_id in inner:
        if image_id is None:
            image_id = ""
        elif not isinstance(image_id, str):
            raise InvalidReferenceStore(
                path, f"cannot unmarshal {_kind(image_id)} into an image ID"
            )
        out[key if clean else _go_string(key)] = image_id if clean else _go_string(image_id)
    return out


class _Object(list[tuple[str, Any]]):
    """A decoded JSON object as its key/value pairs in document order."""


def _go_string(value: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", value)


def _kind(value: Any) -> str:
    if isinstance(value, _Object):
        return "object"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")
