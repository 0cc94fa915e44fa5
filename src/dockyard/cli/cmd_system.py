"""``system df``: disk usage laid out as docker/cli's disk usage formatter lays it out."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from dockyard.cli.table import truncate_id
from dockyard.units import format_created_at, human_size, time_ago

if TYPE_CHECKING:
    from dockyard.cli.context import Context
    from dockyard.service.prune import DiskUsage

__all__ = ["cmd_df"]

SUMMARY_TABLE = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
SUMMARY_TITLES = {"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE",
                  "Reclaimable": "RECLAIMABLE"}
IMAGES_TABLE = ("table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t"
                "{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}")
IMAGE_TITLES = {"Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID",
                "CreatedSince": "CREATED", "Size": "SIZE", "SharedSize": "SHARED SIZE",
                "UniqueSize": "UNIQUE SIZE", "Containers": "CONTAINERS"}
#: The other sections of ``df -v``: dockyard has no containers, volumes or build cache.
EMPTY_SECTIONS = (
    "Containers space usage:\n\n"
    "CONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      CREATED   STATUS    NAMES\n\n"
    "Local Volumes space usage:\n\n"
    "VOLUME NAME   LINKS     SIZE\n\n"
    "Build cache usage: 0B\n\n"
    "CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n"
)


def cmd_df(ctx: Context, args: argparse.Namespace) -> int:
    """Docker's ``system df`` (summary) and ``system df -v`` (per image)."""
    from dockyard.cli.gotemplate.docker import context_type
    from dockyard.cli.template import format_rows, go_struct, render
    from dockyard.service.prune import disk_usage

    usage = disk_usage(ctx.client)
    fmt = args.format or "table"
    if not args.verbose:
        fmt = SUMMARY_TABLE if fmt == "table" else fmt
        rows = _summary(usage)
        summary_type = context_type("*formatter.diskUsageImagesContext", SUMMARY_TITLES)
        ctx.stdout.write(format_rows(fmt, rows, titles=SUMMARY_TITLES, context=summary_type))
        return 0
    now = time.time()
    images = [_image(s, now, trunc=fmt.startswith("table")) for s in usage.images]
    if fmt.startswith("table"):
        image_type = context_type("*formatter.imageContext", IMAGE_TITLES)
        ctx.out("Images space usage:\n")
        ctx.stdout.write(format_rows(IMAGES_TABLE if fmt == "table" else fmt, images,
                                     titles=IMAGE_TITLES, context=image_type))
        ctx.out()
        ctx.stdout.write(EMPTY_SECTIONS)
        return 0
    text = "{{json .}}" if fmt == "json" else fmt
    data = go_struct({"Images": images, "Containers": [], "Volumes": [], "BuildCache": []},
                     "formatter.diskUsageContext")
    # a custom template of the verbose form is printed without a final newline, as Docker does
    ctx.stdout.write(render(text.replace("\\t", "\t").replace("\\n", "\n"), data))
    return 0


def _summary(usage: DiskUsage) -> list[dict[str, Any]]:
    reclaimable = human_size(usage.reclaimable)
    if usage.size:
        reclaimable += f" ({100 * usage.reclaimable // usage.size}%)"
    empty = {"TotalCount": "0", "Active": "0", "Size": "0B", "Reclaimable": "0B"}
    return [
        {"Type": "Images", "TotalCount": str(usage.total_count), "Active": str(usage.active),
         "Size": human_size(usage.size), "Reclaimable": reclaimable},
        {"Type": "Containers", **empty},
        {"Type": "Local Volumes", **empty},
        {"Type": "Build Cache", **empty},
    ]


def _image(summary: Any, now: float, *, trunc: bool) -> dict[str, Any]:
    """One image of ``df -v``: its first tag only, as docker/cli shows it."""
    repo = tag = "<none>"
    if summary.repo_tags:
        repo, _, tag = summary.repo_tags[0].rpartition(":")
    shared = max(summary.shared_size, 0)
    return {
        "Containers": "0",
        "CreatedAt": format_created_at(summary.created, tz=None),
        "CreatedSince": time_ago(summary.created, now),
        "Digest": "",
        "ID": truncate_id(str(summary.id)) if trunc else str(summary.id),
        "Repository": repo,
        "SharedSize": human_size(shared),
        "Size": human_size(summary.size, 3),
        "Tag": tag,
        "UniqueSize": human_size(summary.size - shared),
        "VirtualSize": human_size(summary.size),
    }
