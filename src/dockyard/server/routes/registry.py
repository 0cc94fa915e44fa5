"""Registries: pull (``/images/create?fromImage=``), push, ``/auth``, ``/distribution``.

Each runs on the long-operations pool with a registry client that holds only the
credentials of the request (``X-Registry-Auth``; :mod:`dockyard.server.regauth`).
Pull and push answer with dockerd's JSON message stream (:mod:`dockyard.server.messages`):
an error before the first message is an HTTP answer with dockerd's status (404 for an
unknown manifest or a denied pull, 400 for a bad reference, 500 otherwise), later ones
are ``errorDetail`` messages. ``pull`` and ``push`` events are logged as dockerd logs
them: the reference as ``id``, the repository as ``name``, the image's labels.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dockyard.errors import DockyardError
from dockyard.reference import parse_normalized_named
from dockyard.registry import RegistryConnectionError
from dockyard.server.events import Event
from dockyard.server.http import ApiError, Request, Response, StreamResponse, json_response
from dockyard.server.messages import MessageStream, run_streamed
from dockyard.server.regauth import (
    credentials_for,
    decode_auth_body,
    decode_auth_header,
    hmac_fields,
)

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.progress import Message
    from dockyard.reference import Reference
    from dockyard.server.router import Router

__all__ = ["register"]

_AUTH_HEADER = "x-registry-auth"
_FULL_ID = re.compile(r"(sha256:)?[0-9a-f]{64}")


def register(router: Router) -> None:
    """Add the registry routes (pull takes ``fromImage`` requests from the import)."""
    router.add("POST", "/images/create", pull, when=lambda r: bool(r.query("fromImage")))
    router.add("POST", "/images/{name:.+}/push", push)
    router.add("POST", "/auth", auth)
    router.add("GET", "/distribution/{name:.+}/json", distribution)


def _event(client: Client, action: str, ref: Reference) -> Event:
    """The pull/push event of dockerd: ``id`` the reference, ``name`` the repository."""
    labels: dict[str, str] = {}
    try:
        with client.view() as view:
            image_id = view.lookup(ref.tag_name_only() if ref.digest is None else ref)
            row = view.image(image_id) if image_id is not None else None
            labels = dict(row.labels) if row is not None and row.labels else {}
    except DockyardError:
        labels = {}
    attributes = {**labels, "name": ref.familiar_name()}
    return Event(action, ref.familiar_string(), attributes)


def _bad_reference(exc: DockyardError) -> ApiError:
    return ApiError(400, str(exc))


def _go_words(exc: RegistryConnectionError) -> RegistryConnectionError:
    """A connection error in the words of Go's ``net`` package, as dockerd reports it."""
    import errno
    from urllib.parse import urlsplit

    parts = urlsplit(exc.url)
    address = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    reason = exc.reason
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError) or (
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            reason = "Connection refused"
            break
        cause = cause.__cause__ or cause.__context__
    if "Connection refused" in reason:
        reason = f"dial tcp {address}: connect: connection refused"
    elif "Name or service not known" in reason or "No address associated" in reason:
        reason = f"dial tcp: lookup {parts.hostname}: no such host"
    return RegistryConnectionError(exc.method, exc.url, reason)


@contextlib.contextmanager
def _registry(request: Request, config: dict[str, Any], domain: str) -> Iterator[Any]:
    """A registry client with the request's credentials; connection errors in Go's words."""
    try:
        with request.state.registry_client(credentials_for(config, domain)) as registry:
            yield registry
    except RegistryConnectionError as exc:
        raise _go_words(exc) from None


# --- pull ----------------------------------------------------------------------------------


def _pull_reference(image: str, tag: str) -> Reference:
    """How dockerd reads ``fromImage`` and ``tag`` (a digest may come as the tag).

    Raises:
        ApiError: 400 for an invalid name, tag or digest; 403 for ``scratch``.
    """
    from dockyard.digest import Digest

    try:
        ref = parse_normalized_named(image.removesuffix(":"))
        if tag:
            try:
                digest = Digest(tag)
            except ValueError:
                ref = ref.with_tag(tag)
            else:
                ref = ref.trim().with_digest(digest)
    except DockyardError as exc:
        raise _bad_reference(exc) from None
    if ref.familiar_name() == "scratch":
        raise ApiError(403, "'scratch' is a reserved name")
    return ref


async def pull(request: Request) -> Response | StreamResponse:
    """``docker pull``: a name without a tag pulls every tag, as dockerd does."""
    from dockyard.registry import Denied
    from dockyard.service.pull import pull as pull_image

    ref = _pull_reference(request.query("fromImage"), request.query("tag"))
    platform = request.query("platform") if request.since("1.32") else ""
    config = decode_auth_header(request.headers.get(_AUTH_HEADER, ""))
    client = request.state.client
    every = ref.is_name_only()

    def work(stream: MessageStream) -> list[Event]:
        def say(message: Message) -> None:
            if ref.digest is not None and message.id == str(ref.digest):
                message = replace(message, id=f"{ref.name()}@{ref.digest}")  # Go's String()
            stream.message(message)

        with _registry(request, config, ref.domain) as registry:
            try:
                pull_image(client, ref.familiar_string(), registry=registry,
                           platform=platform or None, all_tags=every, messages=say)  # fmt: skip
            except Denied as exc:
                if stream.started:
                    raise
                raise ApiError(404, str(exc)) from None  # dockerd: a denied pull is not found
        return [_event(client, "pull", ref)]

    return await run_streamed(request, work)


# --- push ----------------------------------------------------------------------------------


async def push(request: Request) -> Response | StreamResponse:
    """``docker push``: without ``tag`` (and no tag in the name), every tag of the repository."""
    from dockyard.service.push import push as push_image

    header = request.headers.get(_AUTH_HEADER)
    if header is not None:
        config = decode_auth_header(header)
    else:  # the old form: the auth config as the body
        config = decode_auth_body(await request.body(request.state.settings.json_limit))
    name, tag = request.params["name"], request.query("tag")
    try:
        if tag:
            from dockyard.server.routes.images import repo_tag

            target = repo_tag(name, tag) or name
            ref = parse_normalized_named(target)
        else:
            ref = parse_normalized_named(name)
    except DockyardError as exc:
        raise _bad_reference(exc) from None
    client = request.state.client

    def work(stream: MessageStream) -> list[Event]:
        with _registry(request, config, ref.domain) as registry:
            push_image(client, ref.familiar_string(), registry=registry,
                       all_tags=ref.is_name_only(), auth=hmac_fields(config),
                       messages=stream.message, progress=stream.progress)  # fmt: skip
        return [_event(client, "push", ref)]

    return await run_streamed(request, work)


# --- auth ----------------------------------------------------------------------------------


async def auth(request: Request) -> Response:
    """``docker login``: check the credentials with the registry; nothing is kept."""
    from dockyard.registry import Unauthorized
    from dockyard.service.login import check_login

    body = await request.body(request.state.settings.json_limit)
    if not body.strip():
        raise ApiError(500, "EOF")  # Go's JSON decoder on an empty body
    try:
        config = decode_auth_body(body)
    except ApiError:
        raise ApiError(400, "invalid JSON body") from None
    server = str(config.get("serveraddress") or "") or None
    username = str(config.get("username") or "")
    password = str(config.get("password") or "")
    settings = request.state.settings

    def work() -> None:
        check_login(server, username, password, insecure=settings.insecure_registries,
                    certs_dir=settings.certs_dir)  # fmt: skip

    try:
        await request.run_long(work)
    except RegistryConnectionError as exc:
        raise _go_words(exc) from None
    except Unauthorized as exc:
        # a token server's refusal is dockerd's 401; a registry's own 401 on /v2/
        # ("login attempt to … failed with status: 401 Unauthorized") is a 500
        status = 500 if str(exc).startswith("login attempt to") else 401
        raise ApiError(status, str(exc)) from None
    return json_response({"IdentityToken": "", "Status": "Login Succeeded"})


# --- distribution --------------------------------------------------------------------------


def _platform(data: Any) -> dict[str, Any]:
    """An OCI platform object in Go's field order (empty optional fields left out)."""
    data = data if isinstance(data, dict) else {}
    out: dict[str, Any] = {"architecture": str(data.get("architecture") or ""),
                           "os": str(data.get("os") or "")}  # fmt: skip
    if data.get("os.version"):
        out["os.version"] = str(data["os.version"])
    if data.get("os.features"):
        out["os.features"] = list(data["os.features"])
    if data.get("variant"):
        out["variant"] = str(data["variant"])
    return out


def _inspect(registry: Any, ref: Reference) -> dict[str, Any]:
    """The ``DistributionInspect`` of ``ref``: its manifest's descriptor and platforms."""
    import json

    from dockyard.registry import ImageIndex, NoBasicAuthCredentials

    repository = registry.repository(ref)
    try:
        if ref.digest is None:
            head = repository.head_manifest(ref.tag or "latest")
            digest, size = str(head.digest), head.size
        else:
            digest, size = str(ref.digest), 0
        manifest = repository.get_manifest(digest)
    except NoBasicAuthCredentials as exc:
        raise exc.with_message(f'Head "{exc.url}": {exc}') from None
    platforms: list[dict[str, Any]] | None = None
    if isinstance(manifest, ImageIndex):
        platforms = []
        for entry in manifest.manifests:
            found = entry.platform
            platforms.append(_platform({
                "architecture": found.architecture, "os": found.os,
                "os.version": found.os_version, "os.features": list(found.os_features),
                "variant": found.variant,
            } if found is not None else {}))  # fmt: skip
    else:
        try:
            config = json.loads(repository.read_blob(manifest.config.digest))
        except (DockyardError, ValueError):
            config = None
        if isinstance(config, dict) and (config.get("os") or config.get("architecture")):
            platforms = [_platform(config)]
    descriptor = {"mediaType": manifest.media_type, "digest": digest,
                  "size": size or len(manifest.raw)}  # fmt: skip
    return {"Descriptor": descriptor, "Platforms": platforms}


async def distribution(request: Request) -> Response:
    """``GET /distribution/{name}/json``: what the registry holds for a reference."""
    from dockyard.registry import ManifestUnknown

    name = request.params["name"]
    if _FULL_ID.fullmatch(name):
        raise ApiError(500, "no manifest found for full image ID")
    try:
        ref = parse_normalized_named(name)
    except DockyardError as exc:
        raise _bad_reference(exc) from None
    config = decode_auth_header(request.headers.get(_AUTH_HEADER, ""))

    def work() -> dict[str, Any]:
        with _registry(request, config, ref.domain) as registry:
            return _inspect(registry, ref)

    try:
        return json_response(await request.run_long(work))
    except ManifestUnknown as exc:  # dockerd: the registry's words only
        raise ApiError(404, str(exc.__cause__ or exc)) from None
