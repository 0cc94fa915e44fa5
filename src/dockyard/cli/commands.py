"""Every command's name, flags and handler, as Docker's CLI spells them.

Only the argument definitions live here; a handler is named as ``module:function`` and
imported when its command runs, so that building the parser (for ``--help``) stays fast.
"""

from __future__ import annotations

import argparse

__all__ = ["COMMANDS", "Command"]

class Command:
    """One command: where it appears and how its arguments are declared.

    Args:
        name: the command name.
        help: one line for the command list.
        handler: ``module:function`` of the code that runs it.
        where: ``both`` (top level and under ``image``), ``top``, ``image`` or ``system``.
        arguments: ``(flags, options)`` pairs, spelled as for argparse's ``add_argument``
            (``action="store_true"``/``"append"``, ``type``, ``choices``, ``nargs``, …);
            :mod:`dockyard.cli.flags` parses them with Docker's flag syntax.
        usage: what follows the command in Docker's usage line (default: derived from
            the arguments, e.g. ``[OPTIONS] IMAGE [IMAGE...]``).
        args: Docker's rule for the number of arguments when the positionals do not
            tell it: ``"min N"``, ``"max N"``, ``"exact N"``, ``"range N M"``, ``"none"``.
    """

    def __init__(
        self,
        name: str,
        help: str,
        handler: str,
        arguments: list[tuple[tuple[str, ...], dict[str, object]]],
        where: str = "both",
        usage: str | None = None,
        args: str | None = None,
    ) -> None:
        self.name, self.help, self.handler = name, help, handler
        self.arguments, self.where = arguments, where
        self.usage, self.args = usage, args


def _a(*flags: str, **options: object) -> tuple[tuple[str, ...], dict[str, object]]:
    return flags, options


def _bool_flag(text: str) -> bool:
    """Go's ``strconv.ParseBool`` subset the Docker CLI accepts for boolean flags."""
    value = text.strip().lower()
    if value in ("1", "t", "true", "yes"):
        return True
    if value in ("0", "f", "false", "no"):
        return False
    raise argparse.ArgumentTypeError(f'strconv.ParseBool: parsing "{text}": invalid syntax')


def _filter_flag(text: str) -> str:
    """A ``--filter`` value: Docker refuses one without ``=`` while parsing the flags."""
    if "=" not in text:
        raise argparse.ArgumentTypeError("bad format of filter (expected name=value)")
    return text


_QUIET = _a("-q", "--quiet", action="store_true", help="Suppress progress output")
_LIST_QUIET = _a("-q", "--quiet", action="store_true", help="Only show image IDs")
_NO_TRUNC = _a("--no-trunc", action="store_true", help="Don't truncate output")
_TEMPLATE = _a("--format", help="Format output using a custom template: 'table', "
               "'table TEMPLATE', 'json' or 'TEMPLATE' (a Go template)")
_REGISTRY = [
    _a("--insecure-registry", action="append", metavar="HOST[:PORT]",
       help="Allow plain HTTP to this registry (also $DOCKYARD_INSECURE_REGISTRIES)"),
    _a("--certs-dir", metavar="DIR",
       help="Docker's certs.d directory (default /etc/docker/certs.d)"),
]

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
        _a("reference", nargs="?", metavar="REPOSITORY[:TAG]",
           help="Only images of this repository[:tag]"),
        _a("-a", "--all", action="store_true",
           help="Show all images (default hides intermediate images)"),
        _a("--digests", action="store_true", help="Show digests"),
        _a("-f", "--filter", action="append", metavar="FILTER", type=_filter_flag,
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
        _a("--filter", action="append", metavar="FILTER", type=_filter_flag,
           help="Provide filter values (until=<timestamp>, label=<key>[=<value>])"),
        _a("-f", "--force", action="store_true", help="Do not prompt for confirmation"),
    ], where="image"),
    Command("df", "Show disk usage", "cmd_system:cmd_df", [
        _a("-v", "--verbose", action="store_true", help="Show detailed information"),
        _TEMPLATE,
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
    ], usage="[OPTIONS] file|URL|- [REPOSITORY[:TAG]]", args="min 1"),
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
    Command("pull", "Download an image from a registry", "cmd_registry:cmd_pull", [
        _a("-a", "--all-tags", action="store_true",
           help="Download all tagged images in the repository"),
        _a("--platform", help="Set platform if server is multi-platform capable"),
        _a("-q", "--quiet", action="store_true", help="Suppress verbose output"),
        _a("--disable-content-trust", action="store_true", help=argparse.SUPPRESS),
        *_REGISTRY,
        _a("name", metavar="NAME[:TAG|@DIGEST]"),
    ]),
    Command("push", "Upload an image to a registry", "cmd_registry:cmd_push", [
        _a("-a", "--all-tags", action="store_true",
           help="Push all tags of an image to the repository"),
        _a("-q", "--quiet", action="store_true", help="Suppress verbose output"),
        _a("--disable-content-trust", action="store_true", help=argparse.SUPPRESS),
        *_REGISTRY,
        _a("name", metavar="NAME[:TAG]"),
    ]),
    Command("login", "Log in to a registry", "cmd_registry:cmd_login", [
        _a("-u", "--username", help="Username"),
        _a("-p", "--password", help="Password"),
        _a("--password-stdin", action="store_true", help="Take the password from stdin"),
        *_REGISTRY,
        _a("server", nargs="?", metavar="SERVER"),
    ], where="top"),
    Command("logout", "Log out from a registry", "cmd_registry:cmd_logout", [
        _a("server", nargs="?", metavar="SERVER"),
    ], where="top"),
    Command("inspect", "Display an image manifest, or manifest list",
            "cmd_registry:cmd_manifest_inspect", [
        _a("--insecure", action="store_true", help="Allow communication with an insecure "
           "registry"),
        *_REGISTRY,
        _a("name", metavar="NAME[:TAG|@DIGEST]"),
    ], where="manifest"),
    Command("copy", "Copy an image: docker://, docker-archive:, oci:, oci-archive:, dockyard:",
            "cmd_registry:cmd_copy", [
        _a("--all", action="store_true",
           help="Copy every platform of an index (registry to registry)"),
        _a("--platform", help="The platform to take from an index"),
        _a("-q", "--quiet", action="store_true", help="Suppress output"),
        *_REGISTRY,
        _a("source", metavar="SOURCE"),
        _a("destination", metavar="DESTINATION"),
    ], where="top"),
    Command("serve", "Serve the Docker Engine API on a unix socket (and optionally TCP)",
            "cmd_serve:cmd_serve", [
        _a("-H", "--host", action="append", default=[], metavar="ADDRESS",
           help="unix://PATH (default <root>/dockyard.sock, mode 0660) or tcp://HOST:PORT; "
           "repeatable"),
        _a("--tls", action="store_true", help="Use TLS on TCP addresses"),
        _a("--tlsverify", action="store_true",
           help="Use TLS and require client certificates signed by --tlscacert"),
        _a("--tlscacert", metavar="FILE", help="Trust client certificates signed by this CA"),
        _a("--tlscert", metavar="FILE", help="The server's TLS certificate"),
        _a("--tlskey", metavar="FILE", help="The server's TLS key"),
        _a("--group", metavar="GROUP", help="Group owning the unix sockets"),
        _a("--log-level", default="warning", choices=["debug", "info", "warning", "error"],
           help="Log level"),
        _a("--access-log", action="store_true", help="Log every request"),
        _a("--insecure-registry", action="append", default=[], metavar="REGISTRY",
           help="Reach this registry (host[:port]) over plain HTTP or unverified TLS; "
           "loopback registries always are; repeatable"),
        _a("--registry-certs", metavar="DIR",
           help="Docker's certs.d directory: per-registry CA and client certificates "
           "(default /etc/docker/certs.d)"),
        _a("--shutdown-timeout", type=float, default=None, metavar="SECONDS",
           help="On SIGTERM, wait at most this long for running requests (default: until "
           "they finish)"),
    ], where="top", args="none"),
]  # fmt: skip
