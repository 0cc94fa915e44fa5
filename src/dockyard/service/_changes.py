"""Dockerfile instructions applied to a container config (``docker import/commit --change``).

This is moby's ``dockerfile.BuildFromConfig`` for the instructions Docker allows there:
the changes are joined with newlines and parsed as a Dockerfile, every instruction must be
one of :data:`VALID_CHANGE_COMMANDS` (else ``<instr> is not a valid change command``), and
each is dispatched on the config in order, with ``$VAR`` expansion against the ``Env`` the
earlier changes built up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from dockyard.image import ContainerConfig, HealthConfig
from dockyard.service._words import InvalidChange, process_word, process_words, split_words

__all__ = ["VALID_CHANGE_COMMANDS", "InvalidChange", "apply_changes"]

#: The instructions ``--change`` accepts (moby ``validCommitCommands``).
VALID_CHANGE_COMMANDS = frozenset(
    {"cmd", "entrypoint", "healthcheck", "env", "expose", "label", "onbuild", "user", "volume",
     "workdir"}
)  # fmt: skip
_DEFAULT_SHELL = ["/bin/sh", "-c"]
_ONBUILD_PREFIX = re.compile(r"(?i)^\s*ONBUILD\s*")
_DURATION = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9,
          "m": 60 * 10**9, "h": 3600 * 10**9}  # fmt: skip




def apply_changes(config: ContainerConfig, changes: Sequence[str]) -> ContainerConfig:
    """Apply Dockerfile instructions to a copy of ``config`` and return it.

    Args:
        config: the configuration to start from (not modified).
        changes: instructions such as ``CMD ["/bin/sh"]`` or ``ENV A=1 B=2``; each may
            hold several lines.

    Raises:
        InvalidChange: an instruction is not allowed (``run is not a valid change
            command``) or its arguments are invalid.
    """
    result = config.clone()
    if not changes:
        return result
    lines = _logical_lines("\n".join(changes))
    parsed = []
    for original in lines:
        word, _, rest = original.strip().partition(" ")
        if "\t" in word:
            word, _, more = word.partition("\t")
            rest = more + " " + rest
        parsed.append((word.lower(), rest.strip(), original))
    for name, _, _ in parsed:
        if name not in VALID_CHANGE_COMMANDS:
            raise InvalidChange(f"{name} is not a valid change command")
    cmd_set = False
    for name, rest, original in parsed:
        cmd_set = _dispatch(result, name, rest, original, cmd_set)
    return result


def _logical_lines(text: str) -> list[str]:
    """Join continuation lines; drop blank lines and comments (the Dockerfile parser)."""
    out: list[str] = []
    pending = ""
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if pending and line.lstrip().startswith("#"):
            continue
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            pending += stripped[:-1]
            continue
        out.append(pending + line)
        pending = ""
    if pending.strip():
        out.append(pending)
    return out


def _json_list(rest: str) -> list[str] | None:
    if not rest.startswith("["):
        return None
    try:
        value = json.loads(rest)
    except ValueError:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return value


def _command_line(cfg: ContainerConfig, rest: str) -> list[str]:
    """JSON form as is; shell form prefixed with the shell (``/bin/sh -c``)."""
    args = _json_list(rest)
    if args is not None:
        return args
    return [*(cfg.shell or _DEFAULT_SHELL), rest]


def _dispatch(cfg: ContainerConfig, name: str, rest: str, original: str, cmd_set: bool) -> bool:
    env = list(cfg.env or [])
    upper = name.upper()
    if name == "cmd":
        cfg.cmd = _command_line(cfg, rest)
        cfg.args_escaped = False
        return cmd_set or bool(rest)
    if name == "entrypoint":
        cfg.entrypoint = _command_line(cfg, rest)
        cfg.args_escaped = False
        if not cmd_set:
            cfg.cmd = None
    elif name in ("env", "label"):
        pairs = _name_values(upper, rest)
        if name == "env":
            for key, value in pairs:
                _set_env(cfg, process_word(key, env), process_word(value, env))
        else:
            labels = cfg.labels if cfg.labels is not None else {}
            for key, value in pairs:
                labels[process_word(key, env)] = process_word(value, env)
            cfg.labels = labels
    elif name == "expose":
        words = rest.split()
        if not words:
            raise InvalidChange("EXPOSE requires at least one argument")
        ports = cfg.exposed_ports if cfg.exposed_ports is not None else set()
        for word in words:
            for port in process_words(word, env):
                ports.update(_parse_ports(port))
        cfg.exposed_ports = ports
    elif name == "user":
        cfg.user = process_word(_exactly_one(upper, rest), env)
    elif name == "workdir":
        path = process_word(_exactly_one(upper, rest), env)
        cfg.working_dir = _normalize_workdir(cfg.working_dir, path)
    elif name == "volume":
        listed = _json_list(rest)
        volumes = listed if listed is not None else rest.split()
        if not volumes:
            raise InvalidChange("VOLUME requires at least one argument")
        found = cfg.volumes if cfg.volumes is not None else set()
        for volume in volumes:
            value = process_word(volume.strip(), env) if listed is None else volume.strip()
            if not value:
                raise InvalidChange("VOLUME specified can not be an empty string")
            found.add(value)
        cfg.volumes = found
    elif name == "onbuild":
        _check_onbuild(rest)
        cfg.on_build = [*(cfg.on_build or []), _ONBUILD_PREFIX.sub("", original, count=1)]
    elif name == "healthcheck":
        cfg.healthcheck = _healthcheck(rest)
    return cmd_set


def _exactly_one(upper: str, rest: str) -> str:
    if not rest:
        raise InvalidChange(f"{upper} requires exactly one argument")
    return rest


def _set_env(cfg: ContainerConfig, key: str, value: str) -> None:
    entry = f"{key}={value}"
    current = list(cfg.env or [])
    for i, existing in enumerate(current):
        if existing.split("=", 1)[0] == key:
            current[i] = entry
            break
    else:
        current.append(entry)
    cfg.env = current


def _name_values(upper: str, rest: str) -> list[tuple[str, str]]:
    """``ENV a=1 b="x y"`` or the legacy ``ENV a x y`` form (quotes kept for expansion)."""
    if not rest:
        raise InvalidChange(f"{upper} requires at least one argument")
    words = split_words(rest)
    if "=" not in words[0]:
        key, _, value = rest.partition(" ")
        if not value.strip() and len(words) < 2:
            raise InvalidChange(f"{upper} must have two arguments")
        return [(key, value.strip())]
    pairs = []
    for word in words:
        if "=" not in word:
            raise InvalidChange(
                f'Syntax error - can\'t find = in "{word}". Must be of the form: name=value'
            )
        key, _, value = word.partition("=")
        if not key:
            raise InvalidChange(f"{upper} names can not be blank")
        pairs.append((key, value))
    return pairs


def _parse_ports(spec: str) -> list[str]:
    """nat.ParsePortSpecs for EXPOSE: ``80``, ``80/udp``, ``8000-8002/tcp``."""
    raw, _, proto = spec.rpartition(":")[2].partition("/")
    proto = (proto or "tcp").lower()
    if proto not in ("tcp", "udp", "sctp"):
        raise InvalidChange(f"invalid proto: {proto}")
    start_text, dash, end_text = raw.partition("-")
    try:
        start = int(start_text)
        end = int(end_text) if dash else start
    except ValueError:
        raise InvalidChange(f"invalid containerPort: {raw}") from None
    if not (0 <= start <= 65535 and 0 <= end <= 65535) or end < start:
        raise InvalidChange(f"invalid containerPort: {raw}")
    return [f"{port}/{proto}" for port in range(start, end + 1)]


def _normalize_workdir(current: str, requested: str) -> str:
    if not requested:
        raise InvalidChange("cannot normalize nothing")
    if requested.startswith("/"):
        return requested
    parts: list[str] = []
    for part in f"/{current}/{requested}".split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def _check_onbuild(rest: str) -> None:
    trigger = rest.split(None, 1)[0].upper() if rest.strip() else ""
    if not trigger:
        raise InvalidChange("ONBUILD requires at least one argument")
    if trigger == "ONBUILD":
        raise InvalidChange("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
    if trigger in ("FROM", "MAINTAINER"):
        raise InvalidChange(f"{trigger} isn't allowed as an ONBUILD trigger")


def parse_duration(text: str) -> int:
    """Go's ``time.ParseDuration`` (``1m30s``, ``1.5h``, ``100ms``) in nanoseconds.

    Raises:
        InvalidChange: ``time: invalid duration "<text>"``.
    """
    body = text.lstrip("+-")
    sign = -1 if text.startswith("-") else 1
    if body == "0":
        return 0
    pos, total = 0, 0.0
    while pos < len(body):
        match = _DURATION.match(body, pos)
        if match is None or match.group(1) in ("", "."):
            raise InvalidChange(f'time: invalid duration "{text}"')
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not body:
        raise InvalidChange(f'time: invalid duration "{text}"')
    return sign * round(total)


def _healthcheck(rest: str) -> HealthConfig:
    flags: dict[str, str] = {}
    words = rest.split(None)
    while words and words[0].startswith("--"):
        flag, eq, value = words.pop(0)[2:].partition("=")
        if flag not in ("interval", "timeout", "start-period", "retries") or not eq:
            raise InvalidChange(f"Unknown flag: {flag}")
        flags[flag] = value
    rest = rest.split(words[0], 1)[1].strip() if words else ""
    kind = words[0].upper() if words else ""
    if kind == "NONE":
        if rest or flags:
            raise InvalidChange("HEALTHCHECK NONE takes no arguments")
        return HealthConfig(test=["NONE"])
    if kind != "CMD":
        raise InvalidChange(f'Unknown type "{kind}" in HEALTHCHECK (try CMD)')
    args = _json_list(rest)
    if args is None and not rest:
        raise InvalidChange("Missing command after HEALTHCHECK CMD")
    test = ["CMD", *args] if args is not None else ["CMD-SHELL", rest]
    check = HealthConfig(test=test)
    for flag, attr in (("interval", "interval"), ("timeout", "timeout"),
                       ("start-period", "start_period")):  # fmt: skip
        if flag in flags:
            nanos = parse_duration(flags[flag])
            if nanos != 0 and nanos < 10**6:
                raise InvalidChange(f"{flag.capitalize()} {flags[flag]!r} cannot be less than 1ms")
            setattr(check, attr, nanos)
    if "retries" in flags:
        try:
            retries = int(flags["retries"])
        except ValueError:
            raise InvalidChange(f'strconv.ParseInt: parsing "{flags["retries"]}"') from None
        if retries < 1:
            raise InvalidChange(f"--retries must be at least 1 (not {retries})")
        check.retries = retries
    return check
