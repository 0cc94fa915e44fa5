"""Every command's name, flags and handler, as Docker's CLI spells them.

Only the argument definitions live here; a handler is named as ``module:function`` and
imported when its command runs, so that building the parser (for ``--help``) stays fast.
"""

from __future__ import annotations

import argparse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["COMMANDS", "Command"]

class Command:
    """One command: where it appears and how its arguments are declared.

    Args:
        name: the command name.
        help: one line for the command list.
        handler: ``module:function`` of the code that runs it.
        where: ``both`` (top level and under ``image``), ``top``, ``image`` or ``system``.
        arguments: ``(flags, options)`` pairs for ``add_argument``.
    """

    def __init__(
        self,
        name: str,
        help: str,
        handler: str,
        arguments: list[tuple[tuple[str, ...], dict[str, object]]],
        where: str = "both",
    ) -> None:
        self.name, self.help, self.handler = name, help, handler
        self.arguments, self.where = arguments, where

    def register(self, sub: argparse._SubParsersAction[Any]) -> None:
        """Add the command to a sub-command group."""
        parser = sub.add_parser(self.name, help=self.help)
        for flags, options in self.arguments:
            parser.add_argument(*flags, **options)
        parser.set_defaults(handler=self.handler)


def _a(*flags: str, **options: object) -> tuple[tuple[str, ...], dict[str, object]]:
    return flags, options


def _bool_flag(text: str) -> bool:
    """Go's ``strconv.ParseBool`` subset the Docker CLI accepts for boolean flags."""
    value = text.strip().lower()
    if value in ("1", "t", "true", "yes"):
        return True
    if value in ("0", "f", "false", "no"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean value: {text!r}")


_QUIET = _a("-q", "--quiet", action="store_true", help="Suppress progress output")
_LIST_QUIET = _a("-q", "--quiet", action="store_true", help="Only show image IDs")
_NO_TRUNC = _a("--no-trunc", action="store_true", help="Don't truncate output")
_TEMPLATE = _a("--format", help="table, json, or a {{.Field}} template")

COMMANDS = [
    Command("load", "Load an image from a tar archive or STDIN", "cmd_archive:cmd_load", [
        _a("-i", "--input", metavar="FILE",
           help="Read from tar archive file, instead of STDIN (any compression)"),
        _a("-q", "--quiet", action="store_true", help="Suppress the load output"),
        _a("--platform", help="Load only the given platform (os[/arch[/variant]])"),
    ]),
    Command("save", "Save one or more images to a tar archive (streamed to STDOUT by default)",
            "cmd_archive:cmd_save", [
        _a("-o", "--output", metavar="FILE",
           help="Write to a file (or, for --format oci-dir, a directory), instead of STDOUT"),
        _a("--format", default="docker", choices=["docker", "docker-legacy", "oci", "oci-dir"],
           help="Archive layout: docker (Docker >= 25, default), docker-legacy (Docker <= 24), "
           "oci (OCI image layout archive), oci-dir (OCI layout directory)"),
        _a("--compress", default="none", choices=["none", "gzip", "zstd"],
           help="Compress the whole archive"),
        _a("--compress-level", type=int, default=None, metavar="N", help="Compression level"),
        _a("--layer-compression", default="none", choices=["none", "gzip", "zstd"],
           help="Compress each layer (OCI formats), recording compressed digests"),
        _a("--platform", help="Save only the given platform"),
        _QUIET,
        _a("names", nargs="+", metavar="IMAGE"),
    ]),
    Command("images", "List images", "cmd_images:cmd_images", [
        _a("reference", nargs="?", help="Only images of this repository[:tag]"),
        _a("-a", "--all", action="store_true",
           help="Show all images (default hides intermediate images)"),
        _a("--digests", action="store_true", help="Show digests"),
        _a("-f", "--filter", action="append", metavar="FILTER",
           help="Filter output: dangling=, label=, before=, since=, reference=, until="),
        _TEMPLATE,
        _NO_TRUNC,
        _LIST_QUIET,
    ]),
    Command("inspect", "Display detailed information on one or more images",
            "cmd_images:cmd_inspect", [
        _a("-f", "--format", help="Format the output using a {{.Field}} template"),
        _a("--api", choices=["1.50", "1.41"], default="1.50",
           help="Inspect shape: 1.50 (Docker 28, default) or 1.41 (Docker 20.10)"),
        _a("names", nargs="+", metavar="IMAGE"),
    ]),
    Command("history", "Show the history of an image", "cmd_images:cmd_history", [
        _a("-H", "--human", default="true", nargs="?", const="true", type=_bool_flag,
           help="Print sizes and dates in human readable format "
           "(default true; --human=false for raw values)"),
        _TEMPLATE,
        _NO_TRUNC,
        _LIST_QUIET,
        _a("name", metavar="IMAGE"),
    ]),
    Command("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
            "cmd_manage:cmd_tag", [
        _a("source", metavar="SOURCE_IMAGE[:TAG]"),
        _a("target", metavar="TARGET_IMAGE[:TAG]"),
    ]),
    Command("rmi", "Remove one or more images", "cmd_manage:cmd_rmi", [
        _a("-f", "--force", action="store_true", help="Force removal of the image"),
        _a("--no-prune", action="store_true", help="Do not delete untagged parents"),
        _a("names", nargs="+", metavar="IMAGE"),
    ]),
    Command("prune", "Remove unused images", "cmd_manage:cmd_prune", [
        _a("-a", "--all", action="store_true",
           help="Remove all images without tags, not just dangling ones"),
        _a("--filter", action="append", metavar="FILTER",
           help="Provide filter values (until=<timestamp>, label=<key>[=<value>])"),
        _a("-f", "--force", action="store_true", help="Do not prompt for confirmation"),
    ], where="image"),
    Command("df", "Show disk usage", "cmd_manage:cmd_df", [
        _a("-v", "--verbose", action="store_true", help="Show detailed information"),
    ], where="system"),
    Command("import", "Import the contents from a tarball to create an image",
            "cmd_manage:cmd_import", [
        _a("-c", "--change", action="append", default=[], metavar="INSTRUCTION",
           help="Apply a Dockerfile instruction to the created image"),
        _a("-m", "--message", default="", help="Set a commit message"),
        _a("--platform", help="Set platform (os[/arch[/variant]])"),
        _QUIET,
        _a("file", metavar="FILE|-"),
        _a("reference", nargs="?", metavar="REPOSITORY[:TAG]"),
    ]),
    Command("export", "Flatten an image into one root filesystem tar or directory "
            "(whiteouts applied)", "cmd_manage:cmd_export", [
        _a("-o", "--output", metavar="PATH", help="Write to a file instead of STDOUT"),
        _a("--unpack", action="store_true",
           help="Unpack into the directory given by -o (must not exist)"),
        _QUIET,
        _a("name", metavar="IMAGE"),
    ]),
    Command("check", "Verify every config, layer and tag of the store", "cmd_manage:cmd_check", [
        _a("--repair", action="store_true",
           help="Remove what is broken or orphaned (after reporting it)"),
    ], where="top"),
]  # fmt: skip
