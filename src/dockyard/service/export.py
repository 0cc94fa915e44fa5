"""Flatten an image's layers into one root filesystem (what ``docker export`` gives).

Two passes, never holding file data in memory: first every layer's tar stream is read
once, base first and verified against its DiffID, and only its headers are applied to an
in-memory tree (:mod:`dockyard.service._rootfs`); then the final tree is written in
depth-first lexical order, each regular file's bytes read from the stored layer tar at the
offset recorded in the first pass.

The tar output follows ``docker export``: relative names, ``dir/`` for directories,
PAX format, whole-second mtimes, a file with several names is written once and its other
names as hard links. Unlike Docker, which keeps only ``security.capability``, every
extended attribute of the layers is written (as ``SCHILY.xattr.*`` records).

A container adds files that are not part of the image; they are listed in
:data:`CONTAINER_PATHS` for comparisons with ``docker export``.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from dockyard.archive._save_output import open_output
from dockyard.digest import ChainID, DiffID, ImageID, chain_ids
from dockyard.errors import (
    InvalidArgumentError,
    LayerNotFound,
    LayerVerificationError,
    StorageError,
)
from dockyard.layer.model import open_payload
from dockyard.progress import Progress, ProgressCallback, emit
from dockyard.service._rootfs import Inode, RootFS, apply_layer
from dockyard.service.lookup import get_image

if TYPE_CHECKING:
    from dockyard.client import Client
    from dockyard.image import Image
    from dockyard.store.view import View

__all__ = ["CONTAINER_PATHS", "ExportResult", "build_rootfs", "export_image"]

#: What creating a container adds to its root filesystem (moby ``initlayer``): these
#: appear in ``docker export`` of a container but are not part of the image.
CONTAINER_PATHS = (
    ".dockerenv", "dev", "dev/console", "dev/pts", "dev/shm", "etc", "etc/hostname",
    "etc/hosts", "etc/mtab", "etc/resolv.conf", "proc", "sys",
)  # fmt: skip
_CHUNK = 1 << 20
_TAR_TYPES = {
    "file": tarfile.REGTYPE,
    "dir": tarfile.DIRTYPE,
    "symlink": tarfile.SYMTYPE,
    "char": tarfile.CHRTYPE,
    "block": tarfile.BLKTYPE,
    "fifo": tarfile.FIFOTYPE,
}


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote.

    Attributes:
        image_id: the exported image.
        entries: number of paths written.
        size: bytes of file data written.
        warnings: what could not be reproduced (device nodes when not root, extended
            attributes the file system refused).
    """

    image_id: ImageID
    entries: int
    size: int
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class _Payload:
    path: Path
    diff_id: DiffID
    identity: tuple[int, int, int]
    fd: int = -1


def _identity(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def build_rootfs(view: View, chains: list[ChainID]) -> tuple[RootFS, list[_Payload]]:
    """Apply the layers of a chain (base first) to a fresh tree; verify every layer.

    Raises:
        LayerNotFound: a layer of the chain is missing.
        LayerVerificationError: a stored layer does not match its DiffID.
        InvalidLayer: a layer cannot be applied.
    """
    tree = RootFS()
    payloads: list[_Payload] = []
    for index, chain in enumerate(chains):
        layer = view.layer(chain)
        if layer is None:
            raise LayerNotFound(str(chain))
        path = view.payload(layer)
        stream = open_payload(path, layer.diff_id, layer.chain_id)
        try:
            before = _identity(path)
            diff_id = layer.diff_id
            apply_layer(tree, index, stream, diff_id.short())
            while stream.read(_CHUNK):  # the rest of the stream, for the DiffID check
                pass
        finally:
            stream.close()
        if _identity(path) != before:
            raise LayerVerificationError(diff_id)
        payloads.append(_Payload(path, diff_id, before))
    return tree, payloads


def export_image(
    client: Client,
    ref: str,
    output: BinaryIO | IO[bytes] | str | os.PathLike[str],
    *,
    as_directory: bool = False,
    progress: ProgressCallback | None = None,
) -> ExportResult:
    """Write the flattened root filesystem of an image as one tar, or into a directory.

    Args:
        client: the store.
        ref: the image (name, tag, ID or ID prefix).
        output: a binary stream or a path for the tar (a new path or a regular file is
            written through a temporary file and renamed, so it appears only when
            complete; a device node or FIFO is written through, never replaced); with
            ``as_directory``, a directory path that must not exist yet.
        as_directory: unpack instead of writing a tar. Nothing is ever written outside
            the directory, symlinks are created but never followed, device nodes are
            skipped (with a warning) unless running as root, ownership is only set
            when running as root.
        progress: receives ``Exporting`` reports (bytes of file data written).

    Returns:
        What was written.

    Raises:
        ImageNotFound: no such image.
        InvalidArgumentError: the target directory already exists, ``output`` is a
            stream while ``as_directory`` is set, or the tar path is a directory.
        LayerNotFound: a layer of the image is missing.
        LayerVerificationError: a stored layer does not match its DiffID.
        InvalidLayer: a layer cannot be applied (e.g. a hard link to nothing).
        StorageError: the output cannot be written.
    """
    with client.view() as view:
        img = get_image(view, ref)
        return _export(view, img, output, as_directory=as_directory, progress=progress)


def _export(
    view: View,
    img: Image,
    output: BinaryIO | IO[bytes] | str | os.PathLike[str],
    *,
    as_directory: bool,
    progress: ProgressCallback | None,
) -> ExportResult:
    diff_ids = img.rootfs.diff_ids if img.rootfs is not None else []
    if as_directory and not isinstance(output, str | os.PathLike):
        raise InvalidArgumentError("export to a directory needs a path")
    target = Path(output) if isinstance(output, str | os.PathLike) else None
    if as_directory and target is not None and (target.exists() or target.is_symlink()):
        raise InvalidArgumentError(f"export target {target} already exists")
    tree, payloads = build_rootfs(view, chain_ids(diff_ids))
    total = sum(node.size for _, node in tree.walk() if node.kind == "file")
    counter = _Counter(progress, img.id.short(), total)
    try:
        if as_directory and target is not None:
            entries, warnings = _unpack(tree, target, payloads, counter)
        elif target is not None:
            entries, warnings = _write_tar_file(tree, target, payloads, counter)
        else:
            entries, warnings = _write_tar(tree, output, payloads, counter)
    finally:
        for payload in payloads:
            if payload.fd >= 0:
                os.close(payload.fd)
    emit(progress, Progress("Exporting", img.id.short(), counter.done, total, done=True))
    return ExportResult(img.id, entries, counter.done, tuple(warnings))


class _Counter:
    def __init__(self, progress: ProgressCallback | None, item: str, total: int) -> None:
        self.progress, self.item, self.total, self.done = progress, item, total, 0

    def add(self, count: int) -> None:
        self.done += count
        emit(self.progress, Progress("Exporting", self.item, self.done, self.total))


class _DataReader:
    """Reads one file's bytes from its layer's stored tar, by offset."""

    def __init__(self, payload: _Payload, node: Inode, counter: _Counter) -> None:
        if payload.fd < 0:
            try:
                payload.fd = os.open(payload.path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError as exc:
                raise StorageError(f"cannot open layer data {payload.path}: {exc}") from exc
            if _identity(payload.path) != payload.identity:
                raise LayerVerificationError(payload.diff_id)
        self._fd, self._pos, self._end = payload.fd, node.offset, node.offset + node.size
        self._counter = counter

    def read(self, size: int = -1) -> bytes:
        count = self._end - self._pos if size < 0 else min(size, self._end - self._pos)
        data = os.pread(self._fd, count, self._pos) if count > 0 else b""
        self._pos += len(data)
        self._counter.add(len(data))
        return data


def _tarinfo(path: str, node: Inode) -> tarfile.TarInfo:
    info = tarfile.TarInfo(path + "/" if node.kind == "dir" else path)
    info.type = _TAR_TYPES[node.kind]
    info.mode, info.uid, info.gid = node.mode, node.uid, node.gid
    info.uname, info.gname = node.uname, node.gname
    info.mtime = int(node.mtime)
    info.linkname = node.linkname
    info.devmajor, info.devminor = node.devmajor, node.devminor
    info.size = node.size if node.kind == "file" else 0
    info.pax_headers = {
        f"SCHILY.xattr.{key}": value.decode("utf-8", "surrogateescape")
        for key, value in sorted(node.xattrs.items())
    }
    return info


def _write_tar(
    tree: RootFS, out: Any, payloads: list[_Payload], counter: _Counter
) -> tuple[int, list[str]]:
    seen: dict[int, str] = {}
    entries = 0
    try:
        with tarfile.open(
            fileobj=out, mode="w|", format=tarfile.PAX_FORMAT,
            encoding="utf-8", errors="surrogateescape",
        ) as archive:  # fmt: skip
            for path, node in tree.walk():
                info = _tarinfo(path, node)
                entries += 1
                if node.kind == "file" and id(node) in seen:
                    info.type, info.linkname, info.size = tarfile.LNKTYPE, seen[id(node)], 0
                    archive.addfile(info)
                elif node.kind == "file":
                    seen[id(node)] = path
                    reader = _DataReader(payloads[node.layer], node, counter)
                    archive.addfile(info, reader)  # type: ignore[arg-type,unused-ignore]
                else:
                    archive.addfile(info)
    except OSError as exc:
        raise StorageError(f"cannot write export: {exc}") from exc
    return entries, []


def _write_tar_file(
    tree: RootFS, target: Path, payloads: list[_Payload], counter: _Counter
) -> tuple[int, list[str]]:
    """Write the tar to a path (see :func:`~dockyard.archive._save_output.open_output`).

    Raises:
        InvalidArgumentError: the path is a directory.
        StorageError: the path cannot be written.
    """
    try:
        with open_output(target) as (out, _):
            return _write_tar(tree, out, payloads, counter)
    except OSError as exc:
        raise StorageError(f"cannot write {target}: {exc}") from exc


# --- unpacking into a directory -------------------------------------------------------

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _unpack(
    tree: RootFS, target: Path, payloads: list[_Payload], counter: _Counter
) -> tuple[int, list[str]]:
    try:
        os.mkdir(target, 0o700)
    except FileExistsError:
        raise InvalidArgumentError(f"export target {target} already exists") from None
    except OSError as exc:
        raise StorageError(f"cannot create {target}: {exc}") from exc
    unpacker = _Unpacker(target, payloads, counter)
    try:
        entries = unpacker.run(tree)
    except BaseException as exc:
        unpacker.close()
        shutil.rmtree(target, ignore_errors=True)
        if isinstance(exc, OSError):
            raise StorageError(f"cannot unpack into {target}: {exc}") from exc
        raise
    return entries, unpacker.warnings


class _Unpacker:
    def __init__(self, target: Path, payloads: list[_Payload], counter: _Counter) -> None:
        self.payloads, self.counter = payloads, counter
        self.root_fd = os.open(target, _DIR_FLAGS)
        self.is_root = os.geteuid() == 0
        self.warnings: list[str] = []
        self.links: dict[int, str] = {}
        self.stack: list[tuple[str, int, Inode | None]] = [("", self.root_fd, None)]

    def close(self) -> None:
        while self.stack:
            _, fd, _ = self.stack.pop()
            os.close(fd)

    def run(self, tree: RootFS) -> int:
        entries = 0
        self.stack = [("", self.root_fd, tree.root)]
        for path, node in tree.walk():
            parent, _, name = path.rpartition("/")
            while self.stack[-1][0] != parent:
                self._finish_dir()
            entries += 1
            self._create(path, name, node, self.stack[-1][1])
        while self.stack:
            self._finish_dir()
        return entries

    def _finish_dir(self) -> None:
        path, fd, node = self.stack.pop()
        try:
            if node is not None:
                self._meta_fd(path, fd, node)
        finally:
            os.close(fd)

    def _create(self, path: str, name: str, node: Inode, pfd: int) -> None:
        if node.kind != "dir" and id(node) in self.links:
            os.link(self.links[id(node)], name, src_dir_fd=self.root_fd, dst_dir_fd=pfd,
                    follow_symlinks=False)  # fmt: skip
            return
        self.links[id(node)] = path
        if node.kind == "dir":
            os.mkdir(name, 0o700, dir_fd=pfd)
            self.stack.append((path, os.open(name, _DIR_FLAGS, dir_fd=pfd), node))
        elif node.kind == "file":
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(name, flags, 0o600, dir_fd=pfd)
            try:
                self._copy(fd, node)
                self._meta_fd(path, fd, node)
            finally:
                os.close(fd)
        elif node.kind == "symlink":
            os.symlink(node.linkname, name, dir_fd=pfd)
            if self.is_root:
                os.chown(name, node.uid, node.gid, dir_fd=pfd, follow_symlinks=False)
            mtime_ns = int(node.mtime * 1_000_000_000)
            os.utime(name, ns=(mtime_ns, mtime_ns), dir_fd=pfd, follow_symlinks=False)
        else:
            self._special(path, name, node, pfd)

    def _special(self, path: str, name: str, node: Inode, pfd: int) -> None:
        if node.kind == "fifo":
            os.mkfifo(name, 0o600, dir_fd=pfd)
        elif not self.is_root:
            self.warnings.append(f"skipped device node {path}: not running as root")
            return
        else:
            kind = stat.S_IFCHR if node.kind == "char" else stat.S_IFBLK
            os.mknod(name, kind | 0o600, os.makedev(node.devmajor, node.devminor), dir_fd=pfd)
        # The node was just created in a directory nobody else writes to: not a symlink.
        if self.is_root:
            os.chown(name, node.uid, node.gid, dir_fd=pfd, follow_symlinks=False)
        os.chmod(name, node.mode, dir_fd=pfd)
        mtime_ns = int(node.mtime * 1_000_000_000)
        os.utime(name, ns=(mtime_ns, mtime_ns), dir_fd=pfd, follow_symlinks=False)

    def _copy(self, fd: int, node: Inode) -> None:
        reader = _DataReader(self.payloads[node.layer], node, self.counter)
        while chunk := reader.read(_CHUNK):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]

    def _meta_fd(self, path: str, fd: int, node: Inode) -> None:
        if self.is_root:
            os.fchown(fd, node.uid, node.gid)
        for key, value in node.xattrs.items():
            try:
                os.setxattr(fd, key, value)
            except OSError as exc:
                self.warnings.append(f"extended attribute {key} of {path or '/'}: {exc.strerror}")
        os.fchmod(fd, node.mode)
        mtime_ns = int(node.mtime * 1_000_000_000)
        os.utime(fd, ns=(mtime_ns, mtime_ns))
