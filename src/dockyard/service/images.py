"""``docker images``: the image list with Docker's filters, visibility rules and order.

:func:`list_images` returns what the daemon's ``GET /images/json`` returns (one
:class:`ImageSummary` per image, newest first); :func:`image_rows` expands summaries into
the rows ``docker images`` prints (one per repository and tag, ``<none>`` for untagged
images), as the Docker CLI does. Text formatting (human sizes, "5 minutes ago") is left
to the CLI: rows carry raw values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dockyard.service.filters import FilterArgs, go_path_match
from dockyard.service.lookup import lookup

if TYPE_CHECKING:
    from datetime import datetime

    from dockyard.client import Client
    from dockyard.digest import ImageID
    from dockyard.store.records import ImageRow as IndexedImage
    from dockyard.store.records import RefRow
    from dockyard.store.view import View

__all__ = [
    "LIST_FILTERS",
    "ImageRow",
    "ImageSummary",
    "UnusableImage",
    "image_rows",
    "list_images",
    "list_in",
    "unusable_images",
]


@dataclass(frozen=True)
class UnusableImage:
    """An image the store holds but cannot list.

    ``problem`` says why, e.g. its config fails verification (``failed to verify: …``).
    """

    id: str
    names: tuple[str, ...]
    problem: str


def unusable_images(client: Client) -> list[UnusableImage]:
    """The images ``list_images`` leaves out because they cannot be used, by ID."""
    with client.view() as view:
        return [UnusableImage(str(row.id), tuple(r.name for r in view.ref_rows(row.id)),
                              row.problem or "the image cannot be used")
                for row in view.broken_images()]

#: The filters ``docker images`` accepts (moby ``acceptedImageFilterTags``).
LIST_FILTERS = frozenset({"dangling", "label", "before", "since", "reference", "until"})
NONE = "<none>"


@dataclass(frozen=True, slots=True)
class ImageSummary:
    """One image as the Engine API lists it (``image.Summary``).

    Attributes:
        id: the image ID (``sha256:…``).
        parent_id: the recorded parent image ID, or ``""``.
        repo_tags: familiar tags (``app:1``), sorted by their full name.
        repo_digests: familiar digest references (``app@sha256:…``).
        created: creation time in Unix seconds (0 when the config has none).
        created_nanos: creation time in nanoseconds (None when the config has none).
        size: the image's size in bytes (all its layers).
        shared_size: bytes shared with other images; -1 when not computed.
        containers: containers using the image; always -1 (not computed) here.
        labels: the config's labels (None when there are none).
    """

    id: ImageID
    parent_id: str
    repo_tags: tuple[str, ...]
    repo_digests: tuple[str, ...]
    created: int
    created_nanos: int | None
    size: int
    shared_size: int = -1
    containers: int = -1
    labels: dict[str, str] | None = field(default=None, compare=False)

    @property
    def created_ns_or_zero(self) -> int:
        """``created`` in nanoseconds, 0 when the config has none (for sorting)."""
        return self.created_nanos or 0

    def to_api(self) -> dict[str, Any]:
        """The Engine API JSON object (API 1.50; ``RepoTags``/``RepoDigests`` never null)."""
        return {
            "Containers": self.containers,
            "Created": self.created,
            "Id": str(self.id),
            "Labels": dict(self.labels) if self.labels is not None else None,
            "ParentId": self.parent_id,
            "RepoDigests": list(self.repo_digests),
            "RepoTags": list(self.repo_tags),
            "SharedSize": self.shared_size,
            "Size": self.size,
        }


@dataclass(frozen=True, slots=True)
class ImageRow:
    """One line of ``docker images``: what its ``{{json .}}`` form is built from.

    Attributes:
        id: the full image ID (the CLI shows ``ID`` truncated unless ``--no-trunc``).
        repository: familiar repository name, or ``<none>``.
        tag: tag, or ``<none>``.
        digest: ``sha256:…`` when known and asked for, ``<none>`` otherwise (and ``""``
            for a digest-only repository listed without ``--digests``, as Docker does).
        created: creation time in Unix seconds (``CreatedAt`` is this, in local time).
        size: size in bytes (``Size`` is ``human_size(size, 3)``, ``VirtualSize`` the
            4-digit form).
        containers: -1, printed by Docker as ``N/A`` (as are ``SharedSize`` and
            ``UniqueSize``).
        summary: the image summary the row comes from.
    """

    id: str
    repository: str
    tag: str
    digest: str
    created: int
    size: int
    containers: int
    summary: ImageSummary


def list_images(
    client: Client,
    *,
    all: bool = False,
    filters: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> list[ImageSummary]:
    """List images as ``docker images`` (``GET /images/json``) does.

    Untagged images that have children (intermediate images) are hidden unless ``all``.
    Filters: ``dangling=true|false``, ``label=key`` / ``label=key=value`` (all must
    match), ``before=<image>``, ``since=<image>``, ``until=<timestamp|duration>``,
    ``reference=<glob>`` (Go ``path.Match`` on the familiar reference, then on the
    familiar name). The result is sorted newest first (ties by ID). Only the index is
    read: no config file is opened.

    Args:
        client: the store.
        all: also show intermediate images.
        filters: see the module docstring of :mod:`dockyard.service.filters`.
        now: the reference time for ``until`` durations (default: now).

    Returns:
        One summary per image.

    Raises:
        InvalidFilter: an unknown filter or a bad ``dangling`` value
            (``invalid filter 'foo'``, ``invalid filter 'dangling=maybe'``).
        PatternError: a malformed ``reference`` glob (``syntax error in pattern``).
        ImageNotFound: a ``before``/``since`` image does not exist.
        InvalidArgumentError: an ``until`` value is neither a time nor a duration.
    """
    args = FilterArgs(filters)
    args.validate(LIST_FILTERS)
    with client.view() as view:
        return list_in(view, args, all=all, now=now)


def list_in(
    view: View, args: FilterArgs, *, all: bool = False, now: datetime | None = None
) -> list[ImageSummary]:
    """:func:`list_images` on a snapshot, with parsed and validated filters."""
    dangling_only = args.get_exact_bool("dangling", False)
    before, since = _time_bounds(view, args, now)
    patterns = args.get("reference")
    with_children = view.with_children()
    refs = view.refs_by_image()
    out: list[ImageSummary] = []
    for row, size in view.images_with_size():
        if dangling_only and row.id in with_children:
            continue
        created = row.created_ns
        if before is not None and (created is None or not created < before):
            continue
        if since is not None and (created is None or not created > since):
            continue
        if args.contains("label") and not args.match_kv_list("label", row.labels):
            continue
        summary = _summary(row, size, refs.get(row.id, ()), patterns)
        if summary is None:
            continue
        if not summary.repo_tags and not summary.repo_digests:
            if not all and row.id in with_children:
                continue
            if args.contains("dangling") and not dangling_only:
                continue
            if patterns:
                continue
        elif dangling_only and summary.repo_tags:
            continue
        out.append(summary)
    out.sort(key=lambda s: (-s.created_ns_or_zero, s.id))
    return out


def _time_bounds(
    view: View, args: FilterArgs, now: datetime | None
) -> tuple[int | None, int | None]:
    """The ``before``/``until`` upper bound and the ``since`` lower bound, in nanoseconds."""
    before: int | None = None
    for value in args.get("before"):
        created = _created_of(view, value)
        if created is not None and (before is None or created < before):
            before = created
    for value in args.get("until"):
        stamp = args.timestamp(value, now)
        if before is None or stamp < before:
            before = stamp
    since: int | None = None
    for value in args.get("since"):
        created = _created_of(view, value)
        if created is not None and (since is None or created > since):
            since = created
    return before, since


def _created_of(view: View, name: str) -> int | None:
    row = view.image(lookup(view, name))
    return row.created_ns if row is not None else None


def _summary(
    row: IndexedImage, size: int | None, refs: Sequence[RefRow], patterns: list[str]
) -> ImageSummary | None:
    if not row.supported or (row.chain and size is None):
        return None
    tags: list[str] = []
    digests: list[str] = []
    for ref in refs:
        if patterns and not any(_familiar_match(p, ref) for p in patterns):
            continue
        (digests if ref.is_digest else tags).append(ref.name)
    return ImageSummary(
        id=row.id,
        parent_id=row.parent,
        repo_tags=tuple(tags),
        repo_digests=tuple(digests),
        created=row.created,
        created_nanos=row.created_ns,
        size=size or 0,
        labels=dict(row.labels) if row.labels else None,
    )


def _familiar_match(pattern: str, ref: RefRow) -> bool:
    """Distribution ``FamiliarMatch``: the familiar string, then the familiar name."""
    if go_path_match(pattern, ref.name):
        return True
    return go_path_match(pattern, ref.repo)


def image_rows(summaries: list[ImageSummary], *, digests: bool = False) -> list[ImageRow]:
    """Expand summaries into ``docker images`` rows, as the Docker CLI does.

    Each tag of a repository is a row (with one row per digest of that repository when
    ``digests``); a repository with only digests is one ``<none>`` tag row; an image
    with no references is one ``<none> <none>`` row. Repositories are in name order
    (Docker's CLI walks a Go map: its order is random).

    Args:
        summaries: from :func:`list_images`.
        digests: the ``--digests`` flag.

    Returns:
        The rows, in the order of ``summaries``.
    """
    rows: list[ImageRow] = []
    for summary in summaries:

        def add(repo: str, tag: str, digest: str, s: ImageSummary = summary) -> None:
            rows.append(ImageRow(str(s.id), repo, tag, digest, s.created, s.size, -1, s))

        if not summary.repo_tags and not summary.repo_digests:
            add(NONE, NONE, NONE)
            continue
        repo_tags: dict[str, list[str]] = {}
        repo_digests: dict[str, list[str]] = {}
        for text in summary.repo_tags:
            name, _, tag = text.rpartition(":")
            repo_tags.setdefault(name, []).append(tag)
        for text in summary.repo_digests:
            name, _, dgst = text.partition("@")
            repo_digests.setdefault(name, []).append(dgst)
        for repo in sorted(repo_tags):
            shown = repo_digests.pop(repo, []) if digests else []
            repo_digests.pop(repo, None)
            for tag in repo_tags[repo]:
                for dgst in shown or [NONE]:
                    add(repo, tag, dgst)
        for repo in sorted(repo_digests):
            if digests:
                for dgst in repo_digests[repo]:
                    add(repo, NONE, dgst)
            else:
                add(repo, NONE, "")
    return rows
