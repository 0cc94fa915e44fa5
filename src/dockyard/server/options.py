"""The command-line flags of ``dockyard serve`` (also ``python -m dockyard.server``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dockyard.server.listen import TLSOptions
from dockyard.server.serve import ServeOptions

__all__ = ["ARGUMENTS", "add_arguments", "options_from"]

#: ``(flags, options)`` pairs for ``add_argument``, as the CLI's command table takes them.
ARGUMENTS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("-H", "--host"), {"action": "append", "default": [], "metavar": "ADDRESS",
                        "help": "unix://PATH (default <root>/dockyard.sock, mode 0660) or "
                        "tcp://HOST:PORT; repeatable"}),
    (("--tls",), {"action": "store_true", "help": "Use TLS on TCP addresses"}),
    (("--tlsverify",), {"action": "store_true",
                        "help": "Use TLS and require client certificates signed by --tlscacert"}),
    (("--tlscacert",), {"metavar": "FILE", "help": "Trust client certificates signed by this CA"}),
    (("--tlscert",), {"metavar": "FILE", "help": "The server's TLS certificate"}),
    (("--tlskey",), {"metavar": "FILE", "help": "The server's TLS key"}),
    (("--group",), {"metavar": "GROUP", "help": "Group owning the unix sockets"}),
    (("--log-level",), {"default": "warning",
                        "choices": ["debug", "info", "warning", "error"],
                        "help": "Log level (default warning)"}),
    (("--access-log",), {"action": "store_true", "help": "Log every request"}),
    (("--insecure-registry",), {"action": "append", "default": [], "metavar": "REGISTRY",
                                "dest": "insecure_registry",
                                "help": "Reach this registry (host[:port]) over plain HTTP or "
                                "unverified TLS; loopback registries always are; repeatable"}),
    (("--registry-certs",), {"metavar": "DIR", "dest": "registry_certs",
                             "help": "Docker's certs.d directory: per-registry CA and client "
                             "certificates (default /etc/docker/certs.d)"}),
    (("--shutdown-timeout",), {"type": float, "default": None, "metavar": "SECONDS",
                               "help": "On SIGTERM, wait at most this long for running "
                               "requests (default: until they finish)"}),
]  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the serve flags to ``parser``."""
    for flags, options in ARGUMENTS:
        parser.add_argument(*flags, **options)


def options_from(args: argparse.Namespace, root: Path) -> ServeOptions:
    """The :class:`ServeOptions` of parsed flags, for the store ``root``."""
    tls = TLSOptions(
        tls=args.tls, verify=args.tlsverify, cacert=args.tlscacert, cert=args.tlscert,
        key=args.tlskey,
    )  # fmt: skip
    return ServeOptions(
        root=root, hosts=list(args.host), tls=tls, group=args.group,
        log_level=args.log_level, access_log=args.access_log,
        shutdown_timeout=args.shutdown_timeout,
        insecure_registries=list(getattr(args, "insecure_registry", None) or []),
        registry_certs=Path(args.registry_certs) if getattr(args, "registry_certs", None)
        else None,
    )  # fmt: skip
