"""``pull``, ``push``, ``login``, ``logout``, ``manifest inspect``, ``copy``: registries.

Status lines are Docker's and go to stdout as the Docker CLI prints them when stdout is
not a terminal; byte progress goes to stderr (bars on a terminal, nothing with ``-q``).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from dockyard.cli.progress import progress_for
from dockyard.cli.registry_env import RegistrySetup
from dockyard.errors import InvalidArgumentError

if TYPE_CHECKING:
    from dockyard.cli.context import Context
    from dockyard.progress import Message, MessageCallback

__all__ = ["cmd_copy", "cmd_login", "cmd_logout", "cmd_manifest_inspect", "cmd_pull", "cmd_push"]


def _printer(ctx: Context, quiet: bool) -> MessageCallback:
    """Docker's status lines on stdout (none with ``-q``); transfers in progress skipped."""

    def show(message: Message) -> None:
        if not quiet and message.current is None and message.aux is None:
            ctx.out(message.line)
            ctx.stdout.flush()

    return show


def _default_tag(ctx: Context, name: str, all_tags: bool) -> None:
    from dockyard.reference import parse_normalized_named

    if not all_tags and parse_normalized_named(name).is_name_only():
        ctx.out("Using default tag: latest")


def cmd_pull(ctx: Context, args: argparse.Namespace) -> int:
    """Pull an image (or every tag of a repository) from a registry."""
    from dockyard.reference import parse_normalized_named
    from dockyard.service.pull import pull

    if not args.quiet:
        _default_tag(ctx, args.name, args.all_tags)
    setup = RegistrySetup(ctx, args)
    with setup.client() as registry, progress_for(ctx, quiet=args.quiet) as progress:
        pull(ctx.client, args.name, registry=registry, platform=args.platform,
             all_tags=args.all_tags, messages=_printer(ctx, args.quiet),
             progress=progress)  # fmt: skip
    # The Docker CLI ends with the full reference pulled, also with -q.
    ref = parse_normalized_named(args.name)
    ctx.out(str(ref if args.all_tags else ref.tag_name_only()))
    return 0


def cmd_push(ctx: Context, args: argparse.Namespace) -> int:
    """Push an image (or every tag of a repository) to a registry."""
    from dockyard.reference import parse_normalized_named
    from dockyard.service.push import push

    if not args.quiet:
        _default_tag(ctx, args.name, args.all_tags)
    setup = RegistrySetup(ctx, args)
    auth = setup.auth_for(parse_normalized_named(args.name).domain)
    with setup.client() as registry, progress_for(ctx, quiet=args.quiet) as progress:
        results = push(ctx.client, args.name, registry=registry, all_tags=args.all_tags,
                       auth=auth, messages=_printer(ctx, args.quiet),
                       progress=progress)  # fmt: skip
    if args.quiet:
        for result in results:
            ctx.out(result.reference)
    return 0


def cmd_login(ctx: Context, args: argparse.Namespace) -> int:
    """Log in to a registry; the credentials go where the Docker CLI keeps them."""
    from dockyard.service.login import login

    password = args.password
    if args.password_stdin:
        if args.password:
            raise InvalidArgumentError("--password and --password-stdin are mutually exclusive")
        if not args.username:
            raise InvalidArgumentError("Must provide --username with --password-stdin")
        password = ctx.stdin.read().decode().rstrip("\r\n")
    elif args.password:
        ctx.err("WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
    if not args.username or not password:
        raise InvalidArgumentError("Username and password are required (use -u and "
                                   "--password-stdin; dockyard never prompts)")  # fmt: skip
    setup = RegistrySetup(ctx, args)
    status = login(setup.config, args.server, args.username, password,
                   insecure=setup.insecure, certs_dir=setup.certs_dir,
                   proxy=setup.proxy)  # fmt: skip
    if setup.config.helper_for(args.server or "docker.io") is None:
        ctx.err(f"WARNING! Your password will be stored unencrypted in {setup.config.path}.")
    ctx.out(status)
    return 0


def cmd_logout(ctx: Context, args: argparse.Namespace) -> int:
    """Forget the credentials of a registry."""
    from dockyard.service.login import logout

    ctx.out(logout(RegistrySetup(ctx, args).config, args.server))
    return 0


def cmd_manifest_inspect(ctx: Context, args: argparse.Namespace) -> int:
    """Print the manifest (or index) a registry has for an image."""
    from dockyard.service.manifest import inspect_manifest

    setup = RegistrySetup(ctx, args)
    if args.insecure:
        setup.insecure += (_domain(args.name),)
    with setup.client() as registry:
        ctx.out(inspect_manifest(registry, args.name))
    return 0


def _domain(name: str) -> str:
    from dockyard.reference import parse_normalized_named

    return parse_normalized_named(name).domain


def cmd_copy(ctx: Context, args: argparse.Namespace) -> int:
    """Copy an image between registries, archives, OCI layouts and the store."""
    from dockyard.service.copy import copy_image

    setup = RegistrySetup(ctx, args)
    with setup.client() as registry, progress_for(ctx, quiet=args.quiet) as progress:
        summary = copy_image(ctx.client, args.source, args.destination, registry=registry,
                             all_platforms=args.all, platform=args.platform,
                             messages=_printer(ctx, args.quiet), progress=progress)  # fmt: skip
    if not args.quiet:
        ctx.out(summary)
    return 0
