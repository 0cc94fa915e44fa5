"""Replaying the recorded Docker CLI 28.2 session (``shared/spec/engine-api``) on dockyard.

The recording ran each command against dockerd 28.3 with the oracle archives; replaying
the same commands, in the same order, against ``dockyard serve`` must print the same
thing. What cannot be the same is normalised (and listed in ``docs/engine-api.md``):

* relative times (``25 minutes ago``) and column padding;
* the IDs of images made by ``docker import`` (their ``created`` time is now) and of the
  imported layer (the recording's ``rootfs.tar`` is not in the spec; the test builds one
  with the same sizes);
* ``GraphDriver.Name`` (``vfs`` there, ``dockyard`` here) and ``LastTagTime``.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from tests.server.helpers import ORACLE_28, SHARED, SPEC_LOGS

#: Entries that cannot be replayed: they create or remove containers, or need a terminal,
#: or report the daemon itself (version, info).
SKIP = {
    "c28-001-version", "c28-002-info", "c28-111-setup-create-container",
    "c28-115-setup-rm-container", "c28-130-tty-load-app", "c28-131-tty-load-app-again",
    "c28-132-tty-load-q-base", "c28-133-tty-load-multi", "c28-134-tty-import",
    "c28-135-tty-save-refuses", "c28-136-tty-load-garbage", "c28-137-tty-images",
    # recorded later, after other clients (py-*, neg-*) had changed the daemon's images
    "c28-044b-inspect-multi-conn-reuse", "c28-04e-inspect-generic-unknown-conn-reuse",
}  # fmt: skip
#: Entries replayed (to keep the state in step) whose output legitimately differs: they
#: depend on a container, or on dockerd keeping a layer nothing uses any more
#: (``image prune -a`` there reclaimed 3MB and left the base layer behind).
DIVERGE = {
    "c28-112-rmi-used-by-container-conflict", "c28-113-rmi-id-used-by-container-conflict",
    "c28-114-rmi-f-used-by-container", "c28-127-image-prune-a-f",
}  # fmt: skip
#: Entries whose lines come in Go's random map order (prune): compared sorted.
UNORDERED = {"c28-120-image-prune-f", "c28-125-image-prune-a-label-not",
             "c28-129-image-prune-f-empty"}  # fmt: skip

_AGO = re.compile(
    r"(Less than a second|About an? \w+|\d+ (?:second|minute|hour|day|week|month|year)s?) ago"
)
_HEX = re.compile(r"\b([0-9a-f]{64}|[0-9a-f]{12})\b")


def entries(prefix: str = "c28-") -> list[dict[str, Any]]:
    """The recorded commands of one CLI, in recording order."""
    out = []
    with (SPEC_LOGS / "index.jsonl").open() as f:
        for line in f:
            entry = json.loads(line)
            if entry["name"].startswith(prefix):
                out.append(entry)
    return out


def rootfs_tar() -> bytes:
    """A root filesystem like the recording's: ``bin/``, ``etc/``, 34 bytes of files."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in (("bin", None), ("etc", None), ("etc/hostname", b"dockyard\n"),
                           ("etc/motd", b"an image made by import\n\n")):  # fmt: skip
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def known_ids() -> set[str]:
    """Every ID of the oracle images and their layers (full and 12-hex forms)."""
    from dockyard.digest import chain_ids

    found: set[str] = set()
    for path in ORACLE_28.glob("*.load.json"):
        data = json.loads(path.read_text())
        for obj in data.get("inspect", []):
            found.add(obj["Id"].removeprefix("sha256:"))
            layers = obj.get("RootFS", {}).get("Layers", [])
            found.update(d.removeprefix("sha256:") for d in layers)
            found.update(str(c).removeprefix("sha256:") for c in chain_ids(layers))
    return found | {h[:12] for h in found}


def normalise(text: str, known: set[str]) -> str:
    """What may differ, replaced by placeholders; column padding collapsed."""
    text = _AGO.sub("<ago>", text)
    text = _HEX.sub(lambda m: m.group(1) if m.group(1) in known else "<id>", text)
    text = text.replace('"Name": "vfs"', '"Name": "dockyard"').replace("/usr/local/bin", "<bin>")
    text = re.sub(r'"LastTagTime": "[^"]*"', '"LastTagTime": "<time>"', text)
    return "\n".join(re.sub(r" {2,}", "  ", line).rstrip() for line in text.split("\n"))


def recorded_at(name: str) -> datetime:
    """When an entry was recorded (the ``Date`` its daemon answered with)."""
    with (SPEC_LOGS / f"{name}.jsonl").open() as f:
        for line in f:
            for key, value in json.loads(line)["response_headers"]:
                if key == "Date":
                    return parsedate_to_datetime(value)
    raise LookupError(name)


def _absolute_until(arg: str, name: str) -> str:
    """``until=1h`` as the absolute time it meant when it was recorded."""
    found = re.fullmatch(r"until=(\d+)h", arg)
    if found is None:
        return arg
    when = recorded_at(name) - timedelta(hours=int(found.group(1)))
    return "until=" + when.strftime("%Y-%m-%dT%H:%M:%SZ")


def argv_for(entry: dict[str, Any], out: Path) -> list[str]:
    """The recorded arguments with paths mapped to this machine's and times made absolute."""
    args = []
    for arg in entry["argv"][1:]:
        arg = _absolute_until(arg, entry["name"])
        arg = arg.replace("shared/", f"{SHARED}/", 1) if arg.startswith("shared/") else arg
        args.append(arg.replace("<tmp>/out", str(out)))
    return args


def stdin_for(entry: dict[str, Any], out: Path) -> bytes | None:
    """The recorded standard input, from this machine's files."""
    source = entry.get("stdin")
    if not source:
        return None
    if re.fullmatch(r"<\d+ bytes>", source):  # the answer typed at a prompt
        return b"n\n"
    path = source.replace("<tmp>/out", str(out))
    if path.startswith("shared/"):
        path = f"{SHARED}/{path.removeprefix('shared/')}"
    return Path(path).read_bytes()
