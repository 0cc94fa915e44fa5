"""``tag``, ``rmi``, ``image prune``, ``system df``, ``import``, ``export`` and ``check``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockyard.cli.exitcodes import exit_code
from dockyard.cli.progress import progress_for
from dockyard.cli.table import render_table
from dockyard.errors import DockyardError, StorageError
from dockyard.units import human_size

if TYPE_CHECKING:
    from dockyard.cli.context import Context

__all__ = [
    "cmd_check",
    "cmd_df",
    "cmd_export",
    "cmd_import",
    "cmd_prune",
    "cmd_rmi",
    "cmd_tag",
]



def cmd_tag(ctx: Context, args: argparse.Namespace) -> int:
    """Tag an image (an existing tag moves, as in Docker)."""
    from dockyard.service.tags import tag_image

    tag_image(ctx.client, args.source, args.target)
    return 0


def cmd_rmi(ctx: Context, args: argparse.Namespace) -> int:
    """Remove images, printing Docker's ``Untagged:`` / ``Deleted:`` lines."""
    from dockyard.service.tags import remove_image

    code = 0
    for name in args.names:
        try:
            events = remove_image(ctx.client, name, force=args.force, prune=not args.no_prune)
        except StorageError as exc:
            ctx.err(f"Error: {exc}")
            code = exit_code(exc)
            continue
        except DockyardError as exc:
            ctx.err(f"Error: {exc}")
            code = code or 1
            continue
        for event in events:
            ctx.out(str(event))
    return code


def cmd_prune(ctx: Context, args: argparse.Namespace) -> int:
    """Prune images after Docker's confirmation prompt (skipped with -f)."""
    from dockyard.cli.cmd_images import parse_filters
    from dockyard.service.prune import prune_images

    warning = (
        "WARNING! This will remove all images without at least one container associated "
        "to them." if args.all else "WARNING! This will remove all dangling images."
    )
    if not args.force:
        ctx.stdout.write(f"{warning}\nAre you sure you want to continue? [y/N] ")
        ctx.stdout.flush()
        answer = ctx.stdin.readline().decode("utf-8", "replace").strip().lower()
        if answer not in ("y", "yes"):
            return 0
    report = prune_images(ctx.client, all=args.all, filters=parse_filters(args.filter) or None)
    if report.deleted:
        ctx.out("Deleted Images:")
        for event in report.deleted:
            text = str(event)
            ctx.out(text[0].lower() + text[1:])
        ctx.out()
    ctx.out(f"Total reclaimed space: {human_size(report.space_reclaimed)}")
    return 0


def cmd_df(ctx: Context, args: argparse.Namespace) -> int:
    """Docker's ``system df`` table (dockyard has images only)."""
    from dockyard.service.prune import disk_usage

    usage = disk_usage(ctx.client)
    pct = f" ({100 * usage.reclaimable // usage.size}%)" if usage.size else ""
    rows: list[list[Any]] = [
        ["Images", usage.total_count, usage.active, human_size(usage.size),
         f"{human_size(usage.reclaimable)}{pct}"],
        ["Containers", 0, 0, "0B", "0B"],
        ["Local Volumes", 0, 0, "0B", "0B"],
        ["Build Cache", 0, 0, "0B", "0B"],
    ]
    ctx.stdout.write(render_table(["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], rows))
    if args.verbose:
        ctx.out()
        ctx.out("Images space usage:")
        ctx.out()
        detail = [[s.repo_tags[0].rsplit(":", 1)[0] if s.repo_tags else "<none>",
                   s.repo_tags[0].rsplit(":", 1)[1] if s.repo_tags else "<none>",
                   s.id.hex[:12], human_size(s.size, 3), human_size(max(s.shared_size, 0), 3),
                   human_size(s.size - max(s.shared_size, 0), 3), 0] for s in usage.images]
        ctx.stdout.write(render_table(["REPOSITORY", "TAG", "IMAGE ID", "SIZE", "SHARED SIZE",
                                       "UNIQUE SIZE", "CONTAINERS"], detail))
    return 0


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    """Import a root filesystem tarball; print the new image ID."""
    from dockyard.service.imports import import_image

    source: Any = ctx.stdin if args.file == "-" else Path(args.file)
    with progress_for(ctx, quiet=args.quiet) as progress:
        image_id = import_image(ctx.client, source, args.reference, changes=args.change,
                                message=args.message, platform=args.platform,
                                progress=progress)
    ctx.out(str(image_id))
    return 0


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    """Export an image's flattened root filesystem."""
    from dockyard.service.export import export_image

    output = ctx.output_target(args.output, directory=args.unpack)
    with progress_for(ctx, quiet=args.quiet) as progress:
        result = export_image(ctx.client, args.name, output, as_directory=args.unpack,
                              progress=progress)
    for warning in result.warnings:
        ctx.err(f"warning: {warning}")
    return 0


def cmd_check(ctx: Context, args: argparse.Namespace) -> int:
    """Report problems (exit 1 when any remain); with --repair, fix them."""
    from dockyard.service.check import check_store

    report = check_store(ctx.client, repair=args.repair)
    for problem in report.problems:
        ctx.out(str(problem))
    for action in report.actions:
        ctx.out(f"repaired: {action}")
    state = "ok" if report.clean else f"{len(report.problems)} problem(s)"
    ctx.out(f"checked {report.images} images, {report.layers} layers: {state}")
    return 0 if report.clean or args.repair else 1


