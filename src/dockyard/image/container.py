"""Docker's ``container.Config`` and ``HealthConfig`` with their exact JSON layout."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from dockyard.gojson import Compat, Struct
from dockyard.gojson.fields import (
    Field,
    StructLayout,
    decode_bool,
    decode_int,
    decode_int_ptr,
    decode_set,
    decode_str,
    decode_str_list,
    decode_str_map,
    decode_strslice,
)

__all__ = ["ContainerConfig", "HealthConfig"]


def _duration(cur: int, value: Any, where: str) -> int:
    return decode_int(cur, value, where, "time.Duration")


def _int(cur: int, value: Any, where: str) -> int:
    return decode_int(cur, value, where, "int")


@dataclass(slots=True)
class HealthConfig:
    """A container health check (``Healthcheck``); durations are integer nanoseconds.

    Attributes:
        test: the test command (``["CMD", ...]``, ``["CMD-SHELL", ...]``, ``["NONE"]``).
        interval: time between checks.
        timeout: time before a check is considered hung.
        start_period: grace period after start.
        start_interval: interval during the start period (Docker 25+ only).
        retries: consecutive failures needed to report unhealthy.
    """

    test: list[str] | None = None
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0

    @classmethod
    def from_json_value(cls, value: Any, where: str = "") -> HealthConfig:
        """Decode a parsed JSON object (Go rules).

        Raises:
            JSONError: a value has the wrong type.
        """
        result = cls()
        _HEALTH_LAYOUT.decode_into(result, value, where)
        return result

    def __gojson__(self, compat: Compat) -> Struct:
        """The Go struct form (``StartInterval`` does not exist in 20.10)."""
        skip = frozenset({"StartInterval"}) if compat is Compat.V20_10 else frozenset()
        return _HEALTH_LAYOUT.encode(self, skip)


_HEALTH_LAYOUT = StructLayout(
    "container.HealthConfig",
    [
        Field("Test", "test", decode_str_list, omitempty=True),
        Field("Interval", "interval", _duration, omitempty=True),
        Field("Timeout", "timeout", _duration, omitempty=True),
        Field("StartPeriod", "start_period", _duration, omitempty=True),
        Field("StartInterval", "start_interval", _duration, omitempty=True),
        Field("Retries", "retries", _int, omitempty=True),
    ],
)


def _decode_health(cur: HealthConfig | None, value: Any, where: str) -> HealthConfig | None:
    if value is None:
        return None
    result = copy.copy(cur) if cur is not None else HealthConfig()
    _HEALTH_LAYOUT.decode_into(result, value, where)
    return result


def _ports(cur: set[str] | None, value: Any, where: str) -> set[str] | None:
    return decode_set(cur, value, where, "nat.PortSet")


def _volumes(cur: set[str] | None, value: Any, where: str) -> set[str] | None:
    return decode_set(cur, value, where, "map[string]struct {}")


def _set_to_map(value: set[str]) -> dict[str, Struct]:
    return {key: Struct() for key in value}


@dataclass(slots=True)
class ContainerConfig:
    """Docker's ``container.Config``, field for field, in declaration order.

    ``None`` and empty containers are different values (``"Env":null`` vs
    ``"Env":[]``). ``exposed_ports`` and ``volumes`` are Go ``map[string]struct{}``
    sets. ``cmd``, ``entrypoint`` and ``shell`` accept a single JSON string on decode.
    """

    hostname: str = ""
    domainname: str = ""
    user: str = ""
    attach_stdin: bool = False
    attach_stdout: bool = False
    attach_stderr: bool = False
    exposed_ports: set[str] | None = None
    tty: bool = False
    open_stdin: bool = False
    stdin_once: bool = False
    env: list[str] | None = None
    cmd: list[str] | None = None
    healthcheck: HealthConfig | None = None
    args_escaped: bool = False
    image: str = ""
    volumes: set[str] | None = None
    working_dir: str = ""
    entrypoint: list[str] | None = None
    network_disabled: bool = False
    mac_address: str = ""
    on_build: list[str] | None = None
    labels: dict[str, str] | None = None
    stop_signal: str = ""
    stop_timeout: int | None = None
    shell: list[str] | None = None

    @classmethod
    def from_json_value(cls, value: Any, where: str = "") -> ContainerConfig:
        """Decode a parsed JSON object (case-insensitive keys, unknown keys ignored).

        Raises:
            JSONError: a value has the wrong type.
        """
        result = cls()
        _CONFIG_LAYOUT.decode_into(result, value, where)
        return result

    def clone(self) -> ContainerConfig:
        """A deep copy."""
        return copy.deepcopy(self)

    def __gojson__(self, compat: Compat) -> Struct:
        """The Go struct form, fields in declaration order."""
        return _CONFIG_LAYOUT.encode(self)


def decode_config_ptr(
    cur: ContainerConfig | None, value: Any, where: str
) -> ContainerConfig | None:
    """Decode a Go ``*container.Config`` field: ``null`` gives None, objects merge."""
    if value is None:
        return None
    result = cur.clone() if cur is not None else ContainerConfig()
    _CONFIG_LAYOUT.decode_into(result, value, where)
    return result


def decode_config_value(cur: ContainerConfig, value: Any, where: str) -> ContainerConfig:
    """Decode a Go ``container.Config`` value field: ``null`` leaves it unchanged."""
    if value is None:
        return cur
    result = cur.clone()
    _CONFIG_LAYOUT.decode_into(result, value, where)
    return result


_CONFIG_LAYOUT = StructLayout(
    "container.Config",
    [
        Field("Hostname", "hostname", decode_str),
        Field("Domainname", "domainname", decode_str),
        Field("User", "user", decode_str),
        Field("AttachStdin", "attach_stdin", decode_bool),
        Field("AttachStdout", "attach_stdout", decode_bool),
        Field("AttachStderr", "attach_stderr", decode_bool),
        Field("ExposedPorts", "exposed_ports", _ports, omitempty=True, encode=_set_to_map),
        Field("Tty", "tty", decode_bool),
        Field("OpenStdin", "open_stdin", decode_bool),
        Field("StdinOnce", "stdin_once", decode_bool),
        Field("Env", "env", decode_str_list),
        Field("Cmd", "cmd", decode_strslice),
        Field("Healthcheck", "healthcheck", _decode_health, omitempty=True),
        Field("ArgsEscaped", "args_escaped", decode_bool, omitempty=True),
        Field("Image", "image", decode_str),
        Field("Volumes", "volumes", _volumes, encode=_set_to_map),
        Field("WorkingDir", "working_dir", decode_str),
        Field("Entrypoint", "entrypoint", decode_strslice),
        Field("NetworkDisabled", "network_disabled", decode_bool, omitempty=True),
        Field("MacAddress", "mac_address", decode_str, omitempty=True),
        Field("OnBuild", "on_build", decode_str_list),
        Field("Labels", "labels", decode_str_map),
        Field("StopSignal", "stop_signal", decode_str, omitempty=True),
        Field("StopTimeout", "stop_timeout", decode_int_ptr, omitempty=True, pointer=True),
        Field("Shell", "shell", decode_strslice, omitempty=True),
    ],
)
