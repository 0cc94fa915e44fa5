"""``client.images.pull`` and ``client.images.push`` as docker-py has them."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from dockyard.reference import parse_normalized_named

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.progress import Message, MessageCallback, ProgressCallback
    from dockyard.service.pull import PullResult

__all__ = ["encode_message", "pull_images", "push_messages", "split_repository_tag"]


def split_repository_tag(repository: str) -> tuple[str, str | None]:
    """docker-py's ``parse_repository_tag``: ``("name", "tag" | "sha256:…" | None)``."""
    name, at, digest = repository.rpartition("@")
    if at:
        return name, digest
    name, colon, tag = repository.rpartition(":")
    if colon and "/" not in tag:
        return name, tag
    return repository, None


def encode_message(message: Message) -> bytes:
    """One message of the Engine API's JSON stream (compact JSON, then CR LF)."""
    text = json.dumps(message.to_json(), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogateescape") + b"\r\n"


def pull_images(
    client: Client,
    repository: str,
    tag: str | None,
    *,
    all_tags: bool,
    platform: str | None,
    auth_config: Mapping[str, Any] | None,
    messages: MessageCallback | None,
    progress: ProgressCallback | None,
) -> list[PullResult]:
    """Pull ``repository`` at ``tag`` (``latest`` by default), or all its tags."""
    from dockyard.registries import auth_config_credentials
    from dockyard.service.pull import pull

    name, found = split_repository_tag(repository)
    tag = tag or found
    if all_tags:
        target = name
    else:
        tag = tag or "latest"
        target = f"{name}{'@' if tag.startswith('sha256:') else ':'}{tag}"
    domain = parse_normalized_named(name).domain
    extra = auth_config_credentials(auth_config, domain)
    with client.registries.client(extra) as registry:
        return pull(client, target, registry=registry, platform=platform, all_tags=all_tags,
                    messages=messages, progress=progress)  # fmt: skip


def push_messages(
    client: Client,
    repository: str,
    tag: str | None,
    *,
    auth_config: Mapping[str, Any] | None,
    progress: ProgressCallback | None,
) -> Iterator[Message]:
    """Push and yield Docker's messages as they happen; without a tag, every tag.

    The push runs in a thread; its error, if any, is raised after the messages that
    came before it. Closing the iterator early waits for the push to end.
    """
    from dockyard.registries import auth_config_credentials
    from dockyard.service.push import push

    name, found = split_repository_tag(repository)
    tag = tag or found
    ref = parse_normalized_named(name)
    extra = auth_config_credentials(auth_config, ref.domain)
    auth = client.registries.auth_fields(ref.domain, extra)
    pending: queue.SimpleQueue[Message | None] = queue.SimpleQueue()
    failed: list[BaseException] = []

    def work() -> None:
        try:
            with client.registries.client(extra) as registry:
                push(client, f"{name}:{tag}" if tag else name, registry=registry,
                     all_tags=tag is None, auth=auth, messages=pending.put,
                     progress=progress)  # fmt: skip
        except BaseException as exc:  # handed to the consumer
            failed.append(exc)
        finally:
            pending.put(None)

    thread = threading.Thread(target=work, name="dockyard-push", daemon=True)
    thread.start()
    try:
        while (message := pending.get()) is not None:
            yield message
    finally:
        thread.join()
    if failed:
        raise failed[0]
