"""``tag``, ``rmi``, ``image prune``, ``import``, ``export`` and ``check``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from dockyard.cli.exitcodes import CommandError, exit_code
from dockyard.cli.progress import progress_for
from dockyard.errors import DockyardError, InvalidArgumentError
from dockyard.units import human_size

if TYPE_CHECKING:
    from dockyard.cli.context import Context

__all__ = [
    "cmd_check",
    "cmd_export",
    "cmd_import",
    "cmd_prune",
    "cmd_rmi",
    "cmd_tag",
]



def cmd_tag(ctx: Context, args: argparse.Namespace) -> int:
    """Tag an image (an existing tag moves, as in Docker).

    The Docker CLI parses both references itself, so their errors have no ``Error:``.
    """
    from dockyard.service.tags import tag_image

    try:
        tag_image(ctx.client, args.source, args.target)
    except InvalidArgumentError as exc:
        raise CommandError(str(exc)) from exc
    return 0


def cmd_rmi(ctx: Context, args: argparse.Namespace) -> int:
    """Remove images, printing Docker's ``Untagged:`` / ``Deleted:`` lines.

    Every name is tried; the exit code is the highest of the failures' codes.
    """
    from dockyard.service.tags import remove_image

    code = 0
    for name in args.names:
        try:
            events = remove_image(ctx.client, name, force=args.force, prune=not args.no_prune)
        except DockyardError as exc:
            ctx.err(f"Error: {exc}")
            code = max(code, exit_code(exc))
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


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    """Import a root filesystem tarball; print the new image ID."""
    from dockyard.cli.cmd_archive import check_input
    from dockyard.reference import parse_normalized_named
    from dockyard.service.imports import import_image

    if args.file.startswith(("http://", "https://")):
        raise InvalidArgumentError(f"importing from a URL is not supported: {args.file}")
    source: Any = ctx.stdin if args.file == "-" else check_input(args.file)
    if args.reference:  # the Docker CLI checks the name before it sends anything
        try:
            parse_normalized_named(args.reference)
        except InvalidArgumentError as exc:
            raise CommandError(str(exc)) from exc
    with progress_for(ctx, quiet=args.quiet) as progress:
        image_id = import_image(ctx.client, source, args.reference, changes=args.change,
                                message=args.message, platform=args.platform,
                                progress=progress)
    ctx.out(str(image_id))
    return 0


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    """Export an image's flattened root filesystem."""
    from dockyard.cli.cmd_archive import output_errors
    from dockyard.service.export import export_image

    output = ctx.output_target(args.output, directory=args.unpack, what="export image")
    with output_errors(output), progress_for(ctx, quiet=args.quiet) as progress:
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


