"""A minimal streaming USTAR writer, shaped like the archives `docker save` writes."""

from __future__ import annotations

import hashlib
import os
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

_BLOCK = 512


class HashingWriter:
    """A binary writer that hashes and counts what passes through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha = hashlib.sha256()
        self.count = 0

    def write(self, data: bytes) -> int:
        """Hash, count and write ``data``; returns what the underlying writer returned."""
        self.sha.update(data)
        self.count += len(data)
        return self._raw.write(data)


class TarStream:
    """A minimal streaming USTAR writer built on `tarfile.TarInfo` headers.

    Unlike `tarfile.TarFile` it never pads the end of the archive to a 10 KiB record: the
    archive ends with exactly two zero blocks, as Docker writes it.
    """

    def __init__(self, out: BinaryIO | HashingWriter, mtime: int) -> None:
        self._out = out
        self.mtime = mtime
        self.entries = 0

    def _info(self, name: str, kind: bytes, mode: int, size: int = 0) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.mode = mode
        info.size = size
        info.mtime = self.mtime
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    def _header(self, info: tarfile.TarInfo) -> None:
        self._out.write(info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict"))
        self.entries += 1

    def _pad(self, size: int) -> None:
        rest = size % _BLOCK
        if rest:
            self._out.write(b"\0" * (_BLOCK - rest))

    def add_dir(self, name: str) -> None:
        """Add a directory entry (``name`` without the trailing slash)."""
        self._header(self._info(name.rstrip("/") + "/", tarfile.DIRTYPE, 0o755))

    def add_symlink(self, name: str, target: str) -> None:
        """Add a symbolic link entry."""
        info = self._info(name, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self._header(info)

    def add_bytes(self, name: str, data: bytes, mode: int = 0o644) -> None:
        """Add a regular file held in memory (only for small files)."""
        self._header(self._info(name, tarfile.REGTYPE, mode, len(data)))
        self._out.write(data)
        self._pad(len(data))

    def add_stream(self, name: str, size: int, chunks: Iterable[bytes]) -> None:
        """Add a regular file of exactly ``size`` bytes produced by ``chunks``.

        Raises:
            ValueError: the chunks do not add up to ``size``.
        """
        self._header(self._info(name, tarfile.REGTYPE, 0o644, size))
        written = 0
        for chunk in chunks:
            self._out.write(chunk)
            written += len(chunk)
        if written != size:
            raise ValueError(f"{name}: produced {written} bytes, expected {size}")
        self._pad(size)

    def add_file(self, name: str, path: Path, out_fd: int) -> None:
        """Add a file from disk, copied by the kernel into ``out_fd`` (an unbuffered writer)."""
        size = path.stat().st_size
        self._header(self._info(name, tarfile.REGTYPE, 0o644, size))
        with path.open("rb") as src:
            left = size
            while left:
                done = os.copy_file_range(src.fileno(), out_fd, min(left, 1 << 30))
                if done <= 0:
                    raise OSError(f"short copy of {path}")
                left -= done
        self._pad(size)

    def close(self) -> None:
        """Write the end-of-archive marker (two zero blocks, no record padding)."""
        self._out.write(b"\0" * (2 * _BLOCK))
