"""``docker image inspect``: the daemon's ``GET /images/{name}/json`` object.

Two shapes are produced:

* ``compat="v1.50"`` (default): Docker 28.x with API 1.50. ``Container``,
  ``ContainerConfig`` and ``VirtualSize`` are gone, ``Created`` is omitted when the
  config has none, ``Comment`` falls back to the last history entry's comment, and
  ``Config`` is the OCI-style image config (only non-empty fields) completed with
  Docker's legacy defaults (``Cmd``, ``Entrypoint``, ``Env``, ``Labels``, ``OnBuild``,
  ``Volumes`` → ``null``; ``User``, ``WorkingDir`` → ``""``), its keys sorted, and it is
  the last key — exactly as the 28.3 daemon writes it.
* ``compat="v1.41"``: Docker 20.10. ``Container``, ``ContainerConfig`` and
  ``VirtualSize`` are present, ``Config``/``ContainerConfig`` are the full
  ``container.Config`` objects in Go field order (``null`` vs ``[]`` preserved), and a
  missing ``created`` shows as ``0001-01-01T00:00:00Z``.

``GraphDriver`` describes the daemon's storage driver; dockyard reports
``{"Data": null, "Name": "dockyard"}`` (Docker's vfs driver also has no data).
``Metadata.LastTagTime`` is the image's ``lastUpdated`` metadata, or Go's zero time.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from dockyard.errors import DockyardError, InvalidArgumentError, LayerNotFound
from dockyard.gojson import Compat, GoTime, encode
from dockyard.service.lookup import get_image
from dockyard.store.layout import DRIVER

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.image import ContainerConfig, Image
    from dockyard.store.view import View

__all__ = ["API_VERSIONS", "inspect_image", "inspect_in"]

#: The API versions whose shape :func:`inspect_image` can produce.
API_VERSIONS = ("v1.50", "v1.41")
ZERO_TIME = "0001-01-01T00:00:00Z"

#: Docker 28's defaults for ``Config`` keys an image does not set (API >= 1.50).
_LEGACY_CONFIG_DEFAULTS: dict[str, Any] = {
    "Cmd": None,
    "Entrypoint": None,
    "Env": None,
    "Labels": None,
    "OnBuild": None,
    "User": "",
    "Volumes": None,
    "WorkingDir": "",
}


def inspect_image(client: Client, ref: str, *, compat: str = "v1.50") -> dict[str, Any]:
    """Inspect an image as ``docker image inspect`` does (one element of its JSON array).

    Args:
        client: the store.
        ref: a name, tag, digest reference, ID or ID prefix (see
            :func:`~dockyard.service.lookup.resolve_image`).
        compat: ``"v1.50"`` (Docker 28.x, default) or ``"v1.41"`` (Docker 20.10).

    Returns:
        The inspect object; keys in Docker's order.

    Raises:
        ImageNotFound: no image matches ``ref``.
        InvalidReference: ``ref`` is not a valid reference.
        InvalidArgumentError: unknown ``compat``.
        LayerNotFound: the image's top layer is missing from the layer store.
    """
    if compat not in API_VERSIONS:
        raise InvalidArgumentError(f"unsupported API version for inspect: {compat}")
    with client.view() as view:
        return inspect_in(view, get_image(view, ref), compat=compat)


def inspect_in(view: View, img: Image, *, compat: str = "v1.50") -> dict[str, Any]:
    """Inspect an image already read from a snapshot (see :func:`inspect_image`).

    Raises:
        InvalidArgumentError: unknown ``compat``.
        LayerNotFound: the image's top layer is missing from the layer store.
    """
    if compat not in API_VERSIONS:
        raise InvalidArgumentError(f"unsupported API version for inspect: {compat}")
    legacy = compat == "v1.41"
    tags: list[str] = []
    digests: list[str] = []
    for ref in view.ref_rows(img.id):
        (digests if ref.is_digest else tags).append(ref.name)
    size = _size(view, img)
    out: dict[str, Any] = {
        "Id": str(img.id),
        "RepoTags": tags,
        "RepoDigests": digests,
        "Parent": str(img.parent) if img.parent else "",
        "Comment": img.comment if legacy else _comment(img),
    }
    if img.created is not None:
        out["Created"] = img.created.format()
    elif legacy:
        out["Created"] = ZERO_TIME
    if legacy:
        out["Container"] = img.container
        out["ContainerConfig"] = _go_value(img.container_config, Compat.V20_10)
    out["DockerVersion"] = img.docker_version
    out["Author"] = img.author
    if legacy:
        out["Config"] = _go_value(img.config, Compat.V20_10)
    out["Architecture"] = img.architecture
    if img.variant:
        out["Variant"] = img.variant
    out["Os"] = img.operating_system()
    if img.os_version:
        out["OsVersion"] = img.os_version
    out["Size"] = size
    if legacy:
        out["VirtualSize"] = size
    out["GraphDriver"] = {"Data": None, "Name": DRIVER}
    rootfs: dict[str, Any] = {"Type": img.rootfs.type if img.rootfs is not None else ""}
    if img.rootfs is not None and img.rootfs.diff_ids:
        rootfs["Layers"] = [str(d) for d in img.rootfs.diff_ids]
    out["RootFS"] = rootfs
    out["Metadata"] = {"LastTagTime": _last_tag_time(view, img)}
    if not legacy:
        out["Config"] = oci_config(img.config)
    return out


def oci_config(config: ContainerConfig | None) -> dict[str, Any]:
    """The ``Config`` object of API 1.50: OCI image config fields plus legacy defaults.

    Args:
        config: the image's ``config`` (None when the image has none).

    Returns:
        A dict with sorted keys, nested objects sorted too (Docker re-marshals a map).
    """
    out: dict[str, Any] = {}
    if config is not None:
        cfg = config
        pairs: list[tuple[str, Any]] = [
            ("User", cfg.user),
            ("ExposedPorts", {k: {} for k in cfg.exposed_ports or ()}),
            ("Env", list(cfg.env or [])),
            ("Entrypoint", list(cfg.entrypoint or [])),
            ("Cmd", list(cfg.cmd or [])),
            ("Volumes", {k: {} for k in cfg.volumes or ()}),
            ("WorkingDir", cfg.working_dir),
            ("Labels", dict(cfg.labels or {})),
            ("StopSignal", cfg.stop_signal),
            ("ArgsEscaped", cfg.args_escaped),
            ("OnBuild", list(cfg.on_build or [])),
            ("Shell", list(cfg.shell or [])),
        ]
        out.update((key, value) for key, value in pairs if value)
        if cfg.healthcheck is not None:
            out["Healthcheck"] = _go_value(cfg.healthcheck, Compat.V28)
    for key, value in _LEGACY_CONFIG_DEFAULTS.items():
        out.setdefault(key, value)
    return {k: _sorted(out[k]) for k in sorted(out, key=lambda k: k.encode())}


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value, key=lambda k: k.encode())}
    return value


def _go_value(value: Any, compat: Compat) -> Any:
    """A Go-encodable value as plain Python JSON data, in Go's key order."""
    return json.loads(encode(value, compat))


def _comment(img: Image) -> str:
    if not img.comment and img.history:
        return img.history[-1].comment
    return img.comment


def _size(view: View, img: Image) -> int:
    chain = img.rootfs.chain_id() if img.rootfs is not None else None
    if not chain:
        return 0
    layer = view.layer(chain)
    if layer is None:
        raise LayerNotFound(chain)
    return layer.size


def _last_tag_time(view: View, img: Image) -> str:
    row = view.image_any(img.id)
    if row is None or not row.last_updated:
        return ZERO_TIME
    try:
        return GoTime.parse(row.last_updated).format()
    except DockyardError:
        return ZERO_TIME
