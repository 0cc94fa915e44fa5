"""The image model: configs, root filesystems, history and the legacy v1 forms.

Invariant: an image's ID is the SHA-256 of the exact config bytes it was parsed from
(:meth:`Image.from_json`), never of a re-serialisation; :meth:`Image.marshal` is only
for configs dockyard creates itself.
"""

from __future__ import annotations

from dockyard.gojson import Compat, GoTime
from dockyard.image.config import (
    HOST_OS,
    Details,
    Image,
    Platform,
    V1Image,
    check_os,
    clone,
    host_arch,
    new_image,
)
from dockyard.image.container import ContainerConfig, HealthConfig
from dockyard.image.history import History, new_history
from dockyard.image.rootfs import LAYERS_TYPE, RootFS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.image.child import ChildConfig, new_child_image
    from dockyard.image.v1 import (
        V1Layer,
        history_from_config,
        make_config_from_v1_config,
        v1_layer,
        v1_layers,
    )

__all__ = [
    "HOST_OS",
    "LAYERS_TYPE",
    "ChildConfig",
    "Compat",
    "ContainerConfig",
    "Details",
    "GoTime",
    "HealthConfig",
    "History",
    "Image",
    "Platform",
    "RootFS",
    "V1Image",
    "V1Layer",
    "check_os",
    "clone",
    "history_from_config",
    "host_arch",
    "make_config_from_v1_config",
    "new_child_image",
    "new_history",
    "new_image",
    "v1_layer",
    "v1_layers",
]

#: Names imported on first use (building child images and v1 IDs is rarely needed).
_LAZY = {
    "ChildConfig": "dockyard.image.child",
    "new_child_image": "dockyard.image.child",
    "V1Layer": "dockyard.image.v1",
    "history_from_config": "dockyard.image.v1",
    "make_config_from_v1_config": "dockyard.image.v1",
    "v1_layer": "dockyard.image.v1",
    "v1_layers": "dockyard.image.v1",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dockyard.image' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
