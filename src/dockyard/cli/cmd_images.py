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
HISTORY_RAW_TABLE = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
_HISTORY_WIDTH = 45


def parse_filters(values: Sequence[str] | None) -> dict[str, list[str]]:
    """``-f key=value`` flags as the filter mapping the library takes."""
    filters: dict[str, list[str]] = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep:
            raise InvalidArgumentError(f"bad format of filter (expected name=value): {value}")
        filters.setdefault(key.strip().lower(), []).append(rest.strip())
    return filters


# -- images --------------------------------------------------------------------------------


def cmd_images(ctx: Context, args: argparse.Namespace) -> int:
    """List images."""
    from dockyard.service.images import image_rows, list_images, unusable_images

    filters = parse_filters(args.filter)
    if args.reference:
        filters.setdefault("reference", []).append(args.reference)
    summaries = list_images(ctx.client, all=args.all, filters=filters or None)
    rows = image_rows(summaries, digests=args.digests)
    fmt = image_format(args.format or "table", quiet=args.quiet, digests=args.digests)
    now = time.time()
    data = [_image_fields(row, now, trunc=not args.no_trunc) for row in rows]
    from dockyard.cli.template import IMAGE_CONTEXT, format_rows

    ctx.stdout.write(format_rows(fmt, data, titles=IMAGE_HEADERS, context=IMAGE_CONTEXT))
    for broken in unusable_images(ctx.client):  # never dropped silently
        names = f" ({', '.join(broken.names)})" if broken.names else ""
        ctx.err(f"WARNING: image {broken.id}{names} is not listed: it cannot be used: "
                f"{broken.problem} (see 'dockyard check')")
    return 0


def image_format(source: str, *, quiet: bool, digests: bool) -> str:
    """The template ``images`` runs, as docker/cli's ``NewImageFormat`` picks it.

    ``-q`` and ``--digests`` shape only the default table; a custom ``table`` template
    gets the digest column appended when ``--digests`` is given.
    """
    if source == "table":
        return "{{.ID}}" if quiet else IMAGES_DIGESTS if digests else IMAGES_TABLE
    if source.startswith("table") and digests and "{{.Digest}}" not in source:
        return source + "\t{{.Digest}}"
    return source


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
    """Print Docker's inspect JSON array, or a template per image (``-f``).

    Every name is tried; the errors follow the output, and the exit code is the highest
    of theirs. The top-level ``inspect`` answers as Docker's generic ``docker inspect``
    (``No such object``), ``image inspect`` as ``docker image inspect``.
    """
    from dockyard.cli.exitcodes import EXIT_TEMPLATE, exit_code

    template = None
    if args.format and args.format != "json":
        from dockyard.cli.template import InspectTemplate, TemplateError

        try:
            template = InspectTemplate(args.format)
        except TemplateError as exc:
            ctx.err(str(exc))
            return EXIT_TEMPLATE  # the Docker CLI's exit status for a template that does not parse
    generic = getattr(args, "command_path", "").split()[1:] == ["inspect"]
    found: list[dict[str, Any]] = []
    rendered: list[str] = []
    errors: list[str] = []
    code = 0
    for name in args.names:
        try:
            item = _inspect_one(ctx, name, args.api, generic=generic)
        except DockyardError as exc:
            bare = getattr(exc, "bare_message", False)
            errors.append(str(exc) if bare else f"Error: {exc}")
            code = max(code, exit_code(exc))
            continue
        if template is None:
            found.append(item)
            continue
        try:
            rendered.append(template.render(item))
        except DockyardError as exc:
            errors.append(str(exc))
            code = max(code, 1)
    if template is not None:
        ctx.stdout.write("".join(rendered) or "\n")
    elif args.format == "json":
        ctx.out(go_json_text(found, indent=None))
    else:
        ctx.out(go_indent_json(found))
    for line in errors:
        ctx.err(line)
    return code


def _inspect_one(ctx: Context, name: str, api: str, *, generic: bool) -> dict[str, Any]:
    """One image's inspect dict, with Docker 28's errors for the generic and image forms."""
    from dockyard.cli.exitcodes import CommandError
    from dockyard.errors import ImageNotFound, NotFoundError
    from dockyard.service.inspect import inspect_image

    if not name:  # docker/cli answers these itself, before asking the daemon
        if generic:
            raise CommandError("invalid container name or ID: value is empty")
        raise ImageNotFound(name)
    try:
        return inspect_image(ctx.client, name, compat=f"v{api}")
    except (NotFoundError, InvalidArgumentError) as exc:
        skippable = isinstance(exc, NotFoundError) or "invalid reference format" in str(exc)
        if generic and skippable:
            raise NotFoundError(f"No such object: {name}") from exc
        raise


def go_indent_json(value: Any) -> str:
    """JSON as the Docker CLI prints ``inspect``: Go's encoder, 4-space indent, no HTML escapes."""
    return go_json_text(value, indent=4)


def go_json_text(value: Any, *, indent: int | None) -> str:
    """JSON as Go's encoder writes it with ``SetEscapeHTML(false)``, indented or compact.

    ``<``, ``>`` and ``&`` stay as they are (the Docker CLI prints them so); U+2028 and
    U+2029 are escaped, as Go always escapes them.
    """
    separators = (",", ": ") if indent is not None else (",", ":")
    text = json.dumps(value, indent=indent, ensure_ascii=False, separators=separators)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


# -- history -------------------------------------------------------------------------------


def cmd_history(ctx: Context, args: argparse.Namespace) -> int:
    """Print an image's history, newest first."""
    from dockyard.service.history import history

    rows = history(ctx.client, args.name)
    fmt = args.format or "table"
    if fmt == "table":  # docker/cli's NewHistoryFormat
        fmt = "{{.ID}}" if args.quiet else HISTORY_TABLE if args.human else HISTORY_RAW_TABLE
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


