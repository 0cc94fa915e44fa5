"""``/images/json``, ``/images/{name}/json|history|tag``, ``DELETE /images/{name}``, prune."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from dockyard.errors import InvalidReference
from dockyard.reference import parse_normalized_named
from dockyard.server.events import Event, image_event
from dockyard.server.http import ApiError, Request, Response, json_response
from dockyard.server.readcache import cached
from dockyard.server.shapes import inspect_shape, summary_shape
from dockyard.service.filters import FilterArgs, PatternError
from dockyard.service.lookup import get_image, lookup

if TYPE_CHECKING:
    from dockyard.image import Image
    from dockyard.server.router import Router
    from dockyard.service.images import ImageSummary
    from dockyard.service.tags import RemoveEvent
    from dockyard.store.view import View

__all__ = ["decode_platform", "register"]


def register(router: Router) -> None:
    """Add the image routes (fixed paths win over the ``{name}`` ones)."""
    router.add("GET", "/images/json", cached(list_images))
    router.add("POST", "/images/prune", prune)
    router.add("GET", "/images/{name:.*}/json", cached(inspect))
    router.add("GET", "/images/{name:.*}/history", cached(history))
    router.add("POST", "/images/{name:.*}/tag", tag)
    router.add("DELETE", "/images/{name:.*}", remove)


# --- list ----------------------------------------------------------------------------------


async def list_images(request: Request) -> Response:
    """``docker images``: one element per image, newest first."""
    filters = request.filters()
    if not request.since("1.41") and request.query("filter"):
        filters.setdefault("reference", []).append(request.query("filter"))
    everything = request.flag("all")
    shared = request.since("1.42") and request.flag("shared-size")

    def work() -> list[ImageSummary]:
        from dockyard.service.images import LIST_FILTERS, list_in

        args = FilterArgs(filters)
        args.validate(LIST_FILTERS)
        with request.state.client.view() as view:
            try:
                summaries = list_in(view, args, all=everything)
            except PatternError as exc:
                raise ApiError(500, str(exc)) from None  # Go's path.Match error: unclassified
            return shared_sizes(view, summaries) if shared else summaries

    def encode() -> Response:
        return json_response([summary_shape(s, request.version) for s in work()])

    return await request.run(encode)


def shared_sizes(view: View, summaries: list[ImageSummary]) -> list[ImageSummary]:
    """Summaries with ``SharedSize``: bytes of their layers other images use too."""
    from dataclasses import replace

    layers: dict[str, Any] = {str(k): v for k, v in view.layers().items()}
    counts: dict[str, int] = {}
    chains: dict[str, list[str]] = {}
    for row in view.images():
        chain: list[str] = []
        current = str(row.chain) if row.chain else ""
        while current and current in layers:
            chain.append(current)
            current = str(layers[current].parent or "")
        chains[str(row.id)] = chain
        for link in chain:
            counts[link] = counts.get(link, 0) + 1
    out = []
    for summary in summaries:
        own = chains.get(str(summary.id), [])
        size = sum(int(layers[c].diff_size) for c in own if counts.get(c, 0) > 1)
        out.append(replace(summary, shared_size=size))
    return out


# --- inspect, history ----------------------------------------------------------------------


def decode_platform(text: str) -> str:
    """A JSON OCI platform (``{"architecture":"amd64","os":"linux"}``) as ``os/arch[/v]``.

    Raises:
        ApiError: 400 when it is not such JSON.
    """
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        os_name, arch = str(data.get("os", "")), str(data.get("architecture", ""))
        variant = str(data.get("variant", "") or "")
    except ValueError as exc:
        raise ApiError(400, f"failed to parse platform: {exc}") from None
    if not os_name or not arch:
        raise ApiError(400, "failed to parse platform: os and architecture are required")
    return "/".join(p for p in (os_name, arch, variant) if p)


def _check_platform(img: Image, name: str, wanted: str | None) -> None:
    if wanted is None:
        return
    from dockyard.platforms import parse_platform

    spec = parse_platform(wanted)
    if not spec.matches(img.operating_system(), img.architecture, img.variant):
        actual = "/".join(p for p in (img.operating_system(), img.architecture, img.variant) if p)
        raise ApiError(404, f"image with reference {name} was found but does not match the "
                       f"specified platform: wanted {spec}, actual: {actual}")  # fmt: skip


async def inspect(request: Request) -> Response:
    """``docker image inspect``: the shape of the request's API version."""
    name = request.params["name"]
    platform = None
    if request.query("platform") and request.since("1.49"):
        platform = decode_platform(request.query("platform"))
    if platform is not None and request.since("1.48") and request.flag("manifests"):
        raise ApiError(400, "conflicting options: manifests and platform options cannot "
                       "both be set")  # fmt: skip

    def work() -> Response:
        with request.state.client.view() as view:
            img = get_image(view, name)
            _check_platform(img, name, platform)
            return json_response(inspect_shape(view, img, request.version))

    return await request.run(work)


async def history(request: Request) -> Response:
    """``docker history``: newest step first."""
    from dockyard.service.history import history_in

    name = request.params["name"]
    platform = None
    if request.query("platform") and request.since("1.48"):
        platform = decode_platform(request.query("platform"))

    def work() -> list[dict[str, Any]]:
        with request.state.client.view() as view:
            img = get_image(view, name)
            _check_platform(img, name, platform)
            return [row.to_api() for row in history_in(view, img)]

    return json_response(await request.run(work))


# --- tag, rmi, prune -----------------------------------------------------------------------


def repo_tag(repo: str, tag: str) -> str | None:
    """Dockerd's ``RepoTagReference``: ``repo`` (normalised) with ``tag``, else ``:latest``.

    Returns:
        The familiar ``name:tag``, or None when ``repo`` is empty.

    Raises:
        InvalidReference: the repository or the tag is invalid, or ``repo`` has a digest.
    """
    if not repo:
        return None
    named = parse_normalized_named(repo)
    if named.digest is not None:
        raise InvalidReference(repo, "cannot import digest reference")
    if tag:
        return named.trim().with_tag(tag).familiar_string()
    return named.tag_name_only().familiar_string()


async def tag(request: Request) -> Response:
    """``docker tag``: 201, or 200 and nothing done when no ``repo`` is given."""
    from dockyard.service.tags import tag_image

    target = repo_tag(request.query("repo"), request.query("tag"))
    if target is None:
        return Response(200)
    if parse_normalized_named(target).familiar_name() == "sha256":
        raise ApiError(400, "refusing to create an ambiguous tag using digest algorithm as name")
    name = request.params["name"]
    client = request.state.client

    def work() -> Event:
        with client.view() as view:
            image_id = str(get_image(view, name).id)
        tag_image(client, image_id, target)
        return image_event("tag", image_id, target, _labels(client, image_id))

    request.state.publish([await request.run(work)])
    return Response(201)


def _labels(client: Any, image_id: str) -> dict[str, str] | None:
    with client.view() as view:
        row = view.image(image_id)
        return dict(row.labels) if row is not None and row.labels else None


def removal_events(
    removed: list[RemoveEvent],
    image_of: dict[str, str],
    labels: dict[str, dict[str, str] | None],
    images: set[str],
) -> list[Event]:
    """Dockerd's events for ``rmi``/prune output: ``untag`` per tag, ``delete`` per image.

    Args:
        removed: the removal's output, in order.
        image_of: the image each removed reference pointed to.
        labels: the labels of the images concerned, as they were before.
        images: the IDs that were images (``Deleted`` also lists layers).
    """
    out: list[Event] = []
    for item in removed:
        if item.untagged:
            image_id = image_of.get(item.untagged, "")
            if image_id:
                out.append(image_event("untag", image_id, image_id, labels.get(image_id)))
        elif item.deleted in images:
            out.append(image_event("delete", item.deleted, item.deleted, None))
    return out


async def remove(request: Request) -> Response:
    """``docker rmi``: the ``Untagged``/``Deleted`` list."""
    from dockyard.service.tags import remove_image

    name = request.params["name"]
    if not name.strip():
        raise ApiError(400, "image name cannot be blank")
    force = request.flag("force")
    prune_parents = not request.flag("noprune")
    client = request.state.client

    def work() -> tuple[list[dict[str, str]], list[Event]]:
        with client.view() as view:
            target = str(lookup(view, name))
            row = view.image(target)
            before = {target: dict(row.labels) if row and row.labels else None}
            chain = _ancestors(view, target)
        removed = remove_image(client, name, force=force, prune=prune_parents)
        image_of = {item.untagged: target for item in removed if item.untagged}
        events = removal_events(removed, image_of, before, chain)
        return [item.to_api() for item in removed], events

    result, events = await request.run(work)
    request.state.publish(events)
    return json_response(result)


def _ancestors(view: View, image_id: str) -> set[str]:
    out = {image_id}
    current = view.image(image_id)
    while current is not None and current.parent and current.parent not in out:
        out.add(current.parent)
        current = view.image(current.parent)
    return out


async def prune(request: Request) -> Response:
    """``docker image prune``: ``{"ImagesDeleted": …, "SpaceReclaimed": …}``."""
    from dockyard.service.prune import prune_images

    filters = request.filters()
    client = request.state.client

    def work() -> tuple[dict[str, Any], list[Event]]:
        with client.view() as view:
            image_of = {ref.name: str(ref.image_id) for ref in view.all_refs()}
            rows = view.images()
        labels = {str(r.id): dict(r.labels) if r.labels else None for r in rows}
        report = prune_images(client, filters=filters)
        events = removal_events(list(report.deleted), image_of, labels, set(labels))
        return report.to_api(), events

    result, events = await request.run(work)
    request.state.publish(events)
    return json_response(result)
