"""``/_ping``, ``/version``, ``/info``, ``/system/df`` and ``/events``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import time
from collections.abc import AsyncIterator
from datetime import UTC
from typing import TYPE_CHECKING, Any

from dockyard.server import versions
from dockyard.server.events import Event, matches
from dockyard.server.http import ApiError, Request, Response, StreamResponse, json_response
from dockyard.server.shapes import df_image
from dockyard.server.wire import dumps
from dockyard.service.filters import FilterArgs

if TYPE_CHECKING:
    from dockyard.server.router import Router

__all__ = ["register"]

_PING_HEADERS = [
    ("Builder-Version", "2"),
    ("Cache-Control", "no-cache, no-store, must-revalidate"),
    ("Pragma", "no-cache"),
    ("Swarm", "inactive"),
]
_TEXT = "text/plain; charset=utf-8"
_GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
            "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}  # fmt: skip


def register(router: Router) -> None:
    """Add the system routes."""
    router.add("GET", "/_ping", ping)
    router.add("HEAD", "/_ping", ping)
    router.add("GET", "/version", version)
    router.add("GET", "/info", info)
    router.add("GET", "/system/df", disk_usage)
    router.add("GET", "/events", events)


async def ping(request: Request) -> Response:
    """``OK`` with the headers the CLI reads the API version from (``Api-Version``)."""
    body = b"" if request.method == "HEAD" else b"OK"
    return Response(200, body, _TEXT, list(_PING_HEADERS))


def _arch() -> str:
    machine = platform.machine()
    return _GO_ARCH.get(machine, machine)


async def version(request: Request) -> Response:
    """The server's versions, as ``types.Version``."""
    settings = request.state.settings
    kernel = platform.release()
    details = {
        "ApiVersion": versions.MAX_API, "Arch": _arch(), "BuildTime": "",
        "Experimental": "false", "GitCommit": "", "GoVersion": _runtime(),
        "KernelVersion": kernel, "MinAPIVersion": versions.MIN_API, "Os": "linux",
    }  # fmt: skip
    return json_response({
        "Platform": {"Name": "dockyard"},
        "Components": [{"Name": "Engine", "Version": settings.server_version,
                        "Details": details}],
        "Version": settings.server_version, "ApiVersion": versions.MAX_API,
        "MinAPIVersion": versions.MIN_API, "GitCommit": "", "GoVersion": _runtime(),
        "Os": "linux", "Arch": _arch(), "KernelVersion": kernel, "BuildTime": "",
    })  # fmt: skip


def _runtime() -> str:
    return f"python{platform.python_version()}"


def _memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


def _os_release() -> tuple[str, str]:
    fields: dict[str, str] = {}
    with contextlib.suppress(OSError), open("/etc/os-release", encoding="utf-8") as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            fields[key] = value.strip('"')
    return fields.get("PRETTY_NAME", "Linux"), fields.get("VERSION_ID", "")


async def info(request: Request) -> Response:
    """``docker info``: the store's image count and this host, as ``system.Info``."""
    state = request.state

    def count() -> int:
        with state.client.view() as view:
            return view.count()

    images = await request.run(count)
    system, os_version = _os_release()
    root = str(state.client.root)
    return json_response({
        "ID": state.server_id, "Containers": 0, "ContainersRunning": 0, "ContainersPaused": 0,
        "ContainersStopped": 0, "Images": images, "Driver": "dockyard",
        "DriverStatus": [["Root Dir", root]],
        "Plugins": {"Volume": None, "Network": None, "Authorization": None, "Log": None},
        "MemoryLimit": False, "SwapLimit": False, "CpuCfsPeriod": False, "CpuCfsQuota": False,
        "CPUShares": False, "CPUSet": False, "PidsLimit": False, "IPv4Forwarding": False,
        "Debug": False, "NFd": _open_files(), "OomKillDisable": False,
        "NGoroutines": len(asyncio.all_tasks()),
        "SystemTime": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "LoggingDriver": "",
        "CgroupDriver": "none", "NEventsListener": state.events.listeners,
        "KernelVersion": platform.release(), "OperatingSystem": system, "OSVersion": os_version,
        "OSType": "linux", "Architecture": platform.machine(),
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": None, "NCPU": os.cpu_count() or 1, "MemTotal": _memory(),
        "GenericResources": None, "DockerRootDir": root, "HttpProxy": "", "HttpsProxy": "",
        "NoProxy": "", "Name": state.settings.name, "Labels": [], "ExperimentalBuild": False,
        "ServerVersion": state.settings.server_version, "Runtimes": {}, "DefaultRuntime": "",
        "Swarm": {"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive",
                  "ControlAvailable": False, "Error": "", "RemoteManagers": None},
        "LiveRestoreEnabled": False, "Isolation": "", "InitBinary": "",
        "ContainerdCommit": {"ID": ""}, "RuncCommit": {"ID": ""}, "InitCommit": {"ID": ""},
        "SecurityOptions": [], "CDISpecDirs": [], "Warnings": None,
    })  # fmt: skip


def _open_files() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0


async def disk_usage(request: Request) -> Response:
    """``docker system df``: the images (shared sizes computed) and nothing else."""
    wanted = {"container", "image", "volume", "build-cache"}
    if request.since("1.42") and request.has("type"):
        wanted = set()
        for kind in request.query_all("type"):
            if kind not in ("container", "image", "volume", "build-cache"):
                raise ApiError(400, f"unknown object type: {kind}")
            wanted.add(kind)
    out: dict[str, Any] = {"LayersSize": 0, "Images": None, "Containers": None,
                           "Volumes": None, "BuildCache": None}  # fmt: skip
    if "image" in wanted:
        from dockyard.service.prune import disk_usage as usage

        report = await request.run(usage, request.state.client)
        out["LayersSize"] = report.layers_size
        out["Images"] = [df_image(s, request.version) for s in report.images]
    for key, kind in (("Containers", "container"), ("Volumes", "volume"),
                      ("BuildCache", "build-cache")):  # fmt: skip
        if kind in wanted:
            out[key] = []
    return json_response(out)


def _event_time(request: Request, name: str, now: float) -> int | None:
    from datetime import datetime

    from dockyard.units import parse_timestamp

    text = request.query(name)
    if not text:
        return None
    seconds, nanos = parse_timestamp(text, datetime.fromtimestamp(now, UTC))
    return seconds * 1_000_000_000 + nanos


async def events(request: Request) -> StreamResponse:
    """The image events, replayed from ``since`` and followed until ``until``."""
    now = time.time()
    since = _event_time(request, "since", now)
    until = _event_time(request, "until", now)
    if until is not None and since is not None and until < since:
        raise ApiError(400, f"`since` time ({request.query('since')}) cannot be after "
                       f"`until` time ({request.query('until')})")  # fmt: skip
    args = FilterArgs(request.filters())
    bus = request.state.events
    replay, queue = bus.subscribe(since, until)
    only_past = until is not None and until < time.time_ns()
    stopping = request.state.stopping

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b""
            for event in replay:
                if matches(args, event):
                    yield _encode(event)
            if only_past:
                return
            deadline = None if until is None else until / 1e9
            while not stopping.is_set():
                timeout = None if deadline is None else max(0.0, deadline - time.time())
                try:
                    async with asyncio.timeout(timeout):
                        item = await queue.get()
                except TimeoutError:
                    return
                if item is None:
                    return
                if matches(args, item):
                    yield _encode(item)
        finally:
            bus.unsubscribe(queue)

    return StreamResponse(stream(), on_disconnect=lambda: queue.put_nowait(None))


def _encode(event: Event) -> bytes:
    return dumps(event.to_api(), escape_html=True)
