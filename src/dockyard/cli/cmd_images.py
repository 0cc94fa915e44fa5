"""``images``, ``inspect`` and ``history``: what is in the store, printed as Docker prints it."""

from __future__ import annotations

import argparse
import json
import time
from typing import TYPE_CHECKING, Any

from dockyard.cli.table import HISTORY_HEADERS, IMAGE_HEADERS, ellipsis, truncate_id
from dockyard.errors import DockyardError, InvalidArgumentError
from dockyard.units import format_created_at, format_rfc3339, human_size, time_ago

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dockyard.cli.context import Context
    from dockyard.service.history import HistoryRow
    from dockyard.service.images import ImageRow

__all__ = ["cmd_history", "cmd_images", "cmd_inspect", "parse_filters"]

IMAGES_TABLE = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
IMAGES_DIGESTS = (
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
)
HISTORY_TABLE = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
_HISTORY_WIDTH = 45


def parse_filters(values: Sequence[str] | None) -> dict[str, list[str]]:
    """``-f key=value`` flags as the filter mapping the library takes."""
    filters: dict[str, list[str]] = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep:
            raise InvalidArgumentError(f"bad format of filter (expected name=value): {value}")
        filters.setdefault(key.strip().lower(), []).append(rest)
    return filters


# -- images --------------------------------------------------------------------------------


def cmd_images(ctx: Context, args: argparse.Namespace) -> int:
    """List images."""
    from dockyard.service.images import image_rows, list_images

    filters = parse_filters(args.filter)
    if args.reference:
        filters.setdefault("reference", []).append(args.reference)
    summaries = list_images(ctx.client, all=args.all, filters=filters or None)
    rows = image_rows(summaries, digests=args.digests)
    if args.quiet:
        fmt = "{{.ID}}"
    elif args.format:
        fmt = "table " + IMAGES_TABLE[6:] if args.format == "table" else args.format
    else:
        fmt = IMAGES_DIGESTS if args.digests else IMAGES_TABLE
    now = time.time()
    data = [_image_fields(row, now, trunc=not args.no_trunc) for row in rows]
    from dockyard.cli.template import IMAGE_CONTEXT, format_rows

    ctx.stdout.write(format_rows(fmt, data, titles=IMAGE_HEADERS, context=IMAGE_CONTEXT))
    return 0


def _image_fields(row: ImageRow, now: float, *, trunc: bool) -> dict[str, Any]:
    return {
        "Containers": "N/A" if row.containers < 0 else str(row.containers),
        "CreatedAt": format_created_at(row.created, tz=None),
        "CreatedSince": time_ago(row.created, now),
        "Digest": row.digest,
        "ID": truncate_id(row.id) if trunc else row.id,
        "Repository": row.repository,
        "SharedSize": "N/A",
        "Size": human_size(row.size, 3),
        "Tag": row.tag,
        "UniqueSize": "N/A",
        "VirtualSize": human_size(row.size),
    }


# -- inspect -------------------------------------------------------------------------------


def cmd_inspect(ctx: Context, args: argparse.Namespace) -> int:
    """Print Docker's inspect JSON array, or a template per image (``-f``)."""
    from dockyard.service.inspect import inspect_image

    template = None
    if args.format and args.format != "json":
        from dockyard.cli.template import InspectTemplate, TemplateError

        try:
            template = InspectTemplate(args.format)
        except TemplateError as exc:
            ctx.err(str(exc))
            return 64  # the Docker CLI's exit status for a template that does not parse
    found: list[dict[str, Any]] = []
    rendered: list[str] = []
    errors: list[str] = []
    for name in args.names:
        try:
            item = inspect_image(ctx.client, name, compat=f"v{args.api}")
        except DockyardError as exc:
            errors.append(f"Error: {exc}")
            continue
        if template is None:
            found.append(item)
            continue
        try:
            rendered.append(template.render(item))
        except DockyardError as exc:
            errors.append(str(exc))
    if template is not None:
        ctx.stdout.write("".join(rendered) or "\n")
    elif args.format == "json":
        ctx.out(go_json_text(found, indent=None))
    else:
        ctx.out(go_indent_json(found))
    for line in errors:
        ctx.err(line)
    return 1 if errors else 0


def go_indent_json(value: Any) -> str:
    """JSON as Go's ``json.MarshalIndent(v, "", "    ")`` writes it (HTML-safe escapes)."""
    return go_json_text(value, indent=4)


def go_json_text(value: Any, *, indent: int | None) -> str:
    """JSON as Go's encoder writes it: HTML-safe escapes, indented or compact."""
    separators = (",", ": ") if indent is not None else (",", ":")
    text = json.dumps(value, indent=indent, ensure_ascii=False, separators=separators)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


# -- history -------------------------------------------------------------------------------


def cmd_history(ctx: Context, args: argparse.Namespace) -> int:
    """Print an image's history, newest first."""
    from dockyard.service.history import history

    rows = history(ctx.client, args.name)
    fmt = "{{.ID}}" if args.quiet else args.format or HISTORY_TABLE
    if fmt == "table":
        fmt = HISTORY_TABLE
    now = time.time()
    data = [_history_fields(r, now, human=args.human, trunc=not args.no_trunc) for r in rows]
    from dockyard.cli.template import HISTORY_CONTEXT, format_rows

    ctx.stdout.write(format_rows(fmt, data, titles=HISTORY_HEADERS, context=HISTORY_CONTEXT))
    return 0


def _history_fields(row: HistoryRow, now: float, *, human: bool, trunc: bool) -> dict[str, Any]:
    created_by = row.created_by.replace("\t", " ")
    if trunc:
        created_by = ellipsis(created_by, _HISTORY_WIDTH)
    return {
        "Comment": row.comment,
        "CreatedAt": format_rfc3339(row.created, tz=None),
        "CreatedBy": created_by,
        "CreatedSince": time_ago(row.created, now) if human
        else format_rfc3339(row.created, tz=None),
        "ID": truncate_id(row.id) if trunc else row.id,
        "Size": human_size(row.size, 3) if human else str(row.size),
    }


