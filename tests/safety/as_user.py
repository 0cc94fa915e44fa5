"""Run the dockyard command line as another user: ``as_user.py UID GID ARGS…``.

Started as root, it imports dockyard (every module of it) and the standard modules dockyard
may import late, then drops to ``UID``/``GID`` (no supplementary groups) and runs the CLI
with ``ARGS``. This lets a user who cannot read the interpreter's own directory (a Python
installed under ``/root``) run dockyard: the store is only ever touched after the switch.
``as_user.py UID GID --probe`` prints the effective user and where dockyard came from.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pkgutil
import sys

#: Standard (and optional) modules imported up front: after the switch they may be unreadable.
PRELOAD = (
    "argparse", "base64", "bz2", "calendar", "collections.abc", "contextlib", "ctypes",
    "ctypes.util", "dataclasses", "datetime", "decimal", "errno", "fcntl", "fnmatch", "functools",
    "gettext", "gzip", "hashlib", "heapq", "io", "itertools", "json", "locale", "lzma", "math",
    "mmap", "platform", "queue", "random", "re", "secrets", "select", "shlex", "shutil", "signal",
    "sqlite3", "stat", "string", "struct", "tarfile", "tempfile", "textwrap", "threading", "time",
    "traceback", "typing", "unicodedata", "urllib.parse", "uuid", "weakref", "zlib", "zoneinfo",
    "backports.zstd", "isal.igzip", "rich", "rich.console", "rich.progress", "typing_extensions",
    "encodings.idna", "encodings.ascii",
)


def preload() -> str:
    """Import everything dockyard may need; return where dockyard was imported from."""
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    import dockyard

    for module in pkgutil.walk_packages(dockyard.__path__, "dockyard."):
        if module.name.rpartition(".")[2] != "__main__":
            with contextlib.suppress(ImportError):
                importlib.import_module(module.name)
    return str(dockyard.__file__)


def main(argv: list[str]) -> int:
    uid, gid, args = int(argv[0]), int(argv[1]), argv[2:]
    origin = preload()
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if args == ["--probe"]:
        sys.stdout.write(f"{os.geteuid()} {os.getegid()} {origin}\n")
        return 0
    from dockyard.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
