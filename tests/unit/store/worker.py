"""A separate process acting on a store: ``python -m tests.unit.store.worker COMMAND ROOT …``.

Commands:

* ``tag ROOT PREFIX N`` — add the tags ``PREFIX/app:0`` … ``:N-1`` one transaction each.
* ``hold-lock ROOT`` — take the writer lock, print ``ready``, wait for a line on stdin.
* ``stage ROOT wait|die`` — stage a layer, print the staging directory, then wait for a
  line on stdin (and close it) or die at once without cleaning up.
* ``die-in-apply ROOT IMAGE_ID`` — tag the image and record its last update in one
  transaction, and die (``os._exit``) half-way through applying its journal.
"""

from __future__ import annotations

import io
import os
import sys

import dockyard
from dockyard.digest import Digest, ImageID, sha256_bytes
from dockyard.reference import parse_normalized_named
from dockyard.store import journal
from tests.unit.layer.tarutil import make_tar

#: The exit status of a worker that died on purpose.
DIED = 17
TAGS = ("die:1", "die:2", "die:3")


def tag_image(prefix: str, i: int) -> ImageID:
    """The image the tag ``prefix/app:i`` points to."""
    return ImageID(sha256_bytes(f"{prefix}{i}".encode()))


def _tag(client: dockyard.Client, prefix: str, count: int) -> None:
    for i in range(count):
        client.reference_store.add_tag(f"{prefix}/app:{i}", tag_image(prefix, i))


def _hold_lock(client: dockyard.Client) -> None:
    with client.store.lock.exclusive():
        print("ready", flush=True)
        sys.stdin.readline()


def _stage(client: dockyard.Client, how: str) -> None:
    area = client.staging()
    staged = area.stage(io.BytesIO(make_tar([("worker", b"data")])))
    print(staged.payload_dir.parent, flush=True)
    if how == "die":
        os._exit(DIED)
    sys.stdin.readline()
    area.close()


def _die_in_apply(client: dockyard.Client, image_id: str) -> None:
    original = journal.Journal.apply

    def half(self: journal.Journal, layout: object, barrier: object) -> None:
        done = journal.Journal(self.generation, self.ops[: len(self.ops) // 2])
        original(done, layout, barrier)  # type: ignore[arg-type]
        os._exit(DIED)

    journal.Journal.apply = half  # type: ignore[method-assign]
    target = ImageID(Digest(image_id))
    with client.transaction() as tx:
        for name in TAGS:
            tx.add_tag(parse_normalized_named(name), target)
        tx.set_last_updated(target)


def main(argv: list[str]) -> int:
    command, root, *args = argv
    client = dockyard.open(root)
    if command == "tag":
        _tag(client, args[0], int(args[1]))
    elif command == "hold-lock":
        _hold_lock(client)
    elif command == "stage":
        _stage(client, args[0])
    elif command == "die-in-apply":
        _die_in_apply(client, args[0])
    else:
        raise SystemExit(f"unknown command {command!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
