"""Quick start: build a tiny image with the library, store it, tag it and list the store.

Run it with ``python examples/quickstart.py [STORE]``; the store defaults to the user's data
directory (``$XDG_DATA_HOME/dockyard``, usually ``~/.local/share/dockyard``).
"""

from __future__ import annotations

import io
import json
import os
import sys
import tarfile
from pathlib import Path

import dockyard

HERE = Path(__file__).resolve().parent


def default_store() -> Path:
    """The default store location (what the CLI will use too)."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "dockyard"


def layer_from(directory: Path) -> bytes:
    """A reproducible layer tar of the files in ``directory``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in sorted(directory.iterdir()):
            data = path.read_bytes()
            info = tarfile.TarInfo(path.name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def main() -> None:
    """Create (or find again) the example image and print the store's images."""
    client = dockyard.open(sys.argv[1] if len(sys.argv) > 1 else default_store())
    layer = client.layer_store.register(io.BytesIO(layer_from(HERE / "hello")))
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["cat", "/hello.txt"]},
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "examples/quickstart.py"}],
    }
    image_id = client.image_store.create(json.dumps(config, separators=(",", ":")).encode())
    client.layer_store.release(layer)
    client.reference_store.add_tag("dockyard/hello:latest", image_id, force=True)
    print(f"store: {client.root}")
    print(f"{'REPOSITORY:TAG':<32} {'IMAGE ID':<12}  SIZE")
    for assoc in client.reference_store:
        top = client.image_store.layer(assoc.image_id)
        size = top.size if top is not None else 0
        print(f"{assoc.ref.familiar_string():<32} {assoc.image_id.hex[:12]}  {size}B")


if __name__ == "__main__":
    main()
