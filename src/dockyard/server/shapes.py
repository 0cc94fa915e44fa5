"""Response shapes that depend on the API version in the path, as dockerd 28.3 writes them.

=======  ===============================================================================
< 1.43   ``images/json``: an image without tags and digests lists ``<none>:<none>`` and
         ``<none>@<none>``; other empty lists are ``null``
< 1.44   ``VirtualSize`` (= ``Size``) in ``images/json``, inspect and ``system/df``;
         inspect's missing ``Created`` is Go's zero time
< 1.45   inspect has ``Container`` (when set) and ``ContainerConfig``
< 1.50   inspect's ``Config`` also carries the legacy container-config keys
         (``AttachStdin``, ``Hostname``, ``Image``, …) with their zero values
=======  ===============================================================================

(``Descriptor`` appears from 1.48 only with containerd's image store, and ``Containers``
is counted from 1.51: neither concerns dockyard, whose newest version is 1.50.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dockyard.server.versions import less_than
from dockyard.service.inspect import ZERO_TIME, inspect_in

if TYPE_CHECKING:
    from dockyard.image import Image
    from dockyard.service.images import ImageSummary
    from dockyard.store.view import View

__all__ = ["df_image", "inspect_shape", "summary_shape"]

#: The keys API < 1.50 adds to ``Config`` (moby ``legacyConfigFields["v1.49"]``).
_LEGACY_CONFIG_V149: dict[str, Any] = {
    "AttachStderr": False,
    "AttachStdin": False,
    "AttachStdout": False,
    "Domainname": "",
    "Hostname": "",
    "Image": "",
    "OpenStdin": False,
    "StdinOnce": False,
    "Tty": False,
}


def summary_shape(summary: ImageSummary, version: str) -> dict[str, Any]:
    """One element of ``GET /images/json`` for ``version``."""
    out = summary.to_api()
    if less_than(version, "1.43"):
        tags, digests = out["RepoTags"], out["RepoDigests"]
        if not tags and not digests:
            out["RepoTags"], out["RepoDigests"] = ["<none>:<none>"], ["<none>@<none>"]
        else:
            out["RepoTags"], out["RepoDigests"] = tags or None, digests or None
    if less_than(version, "1.44"):
        out["VirtualSize"] = out["Size"]
    return out


def df_image(summary: ImageSummary, version: str) -> dict[str, Any]:
    """One image of ``GET /system/df``: containers counted, empty lists ``null``."""
    out = summary.to_api()
    out["Containers"] = 0
    out["RepoTags"] = out["RepoTags"] or None
    out["RepoDigests"] = out["RepoDigests"] or None
    if less_than(version, "1.44"):
        out["VirtualSize"] = out["Size"]
    return out


def inspect_shape(view: View, img: Image, version: str) -> dict[str, Any]:
    """``GET /images/{name}/json`` for ``version`` (keys in dockerd's order)."""
    current = inspect_in(view, img, compat="v1.50")
    old_api = less_than(version, "1.44")
    with_container = less_than(version, "1.45")
    legacy = inspect_in(view, img, compat="v1.41") if with_container else {}
    out: dict[str, Any] = {}
    for key, value in current.items():
        if key == "Config":
            continue
        if key == "DockerVersion":
            if old_api and "Created" not in out:
                out["Created"] = ZERO_TIME
            if with_container and legacy.get("Container"):
                out["Container"] = legacy["Container"]
            if with_container and img.container_config is not None:
                out["ContainerConfig"] = legacy["ContainerConfig"]
        out[key] = value
        if key == "Size" and old_api:
            out["VirtualSize"] = value
    config = dict(current["Config"])
    if less_than(version, "1.50"):
        config.update(_LEGACY_CONFIG_V149)
        config = {k: config[k] for k in sorted(config, key=str.encode)}
    out["Config"] = config
    return out
