"""A writer process for the multi-process tests: creates (and optionally deletes) images."""

from __future__ import annotations

import io
import json
import os
import random
import sys
import tarfile

import dockyard
from dockyard.digest import ChainID


def make_layer(rng: random.Random, size: int) -> bytes:
    """A small layer tar with one file of random content."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        data = rng.randbytes(size)
        info = tarfile.TarInfo(f"file-{rng.getrandbits(64):016x}")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def config(diff_ids: list[str], tag: str) -> bytes:
    doc = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {"tag": tag}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def shared_base() -> bytes:
    """The same base layer in every process (so processes share a chain)."""
    return make_layer(random.Random(1234), 4096)


def create_image(client: dockyard.Client, rng: random.Random, name: str) -> str:
    """Register a two-layer image on the shared base, tag it, return its ID."""
    base = client.layer_store.register(io.BytesIO(shared_base()))
    top = client.layer_store.register(
        io.BytesIO(make_layer(rng, rng.randint(1, 256 * 1024))), ChainID(base.chain_id)
    )
    image_id = client.image_store.create(config([base.diff_id, top.diff_id], name))
    client.layer_store.release(top)
    client.layer_store.release(base)
    client.reference_store.add_tag(name, image_id)
    return image_id


def main(root: str, prefix: str, count: int, seed: int, churn: bool) -> None:
    """Create ``count`` images, printing each ID once it is fully created."""
    rng = random.Random(seed)
    client = dockyard.open(root)
    for i in range(count):
        name = f"{prefix}/img:{i}"
        image_id = create_image(client, rng, name)
        sys.stdout.write(f"{image_id} {name}\n")
        sys.stdout.flush()
        if churn:
            scratch = create_image(client, rng, f"{prefix}/scratch:{i}")
            client.reference_store.delete(f"{prefix}/scratch:{i}")
            client.image_store.delete(scratch)
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "churn")
