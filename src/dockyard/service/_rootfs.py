"""The flattened root filesystem of an image, computed from layer tar headers only.

Layers are applied base first as Docker's layer applier does (``archive.UnpackLayer`` run
inside a chroot of the root filesystem): names are cleaned and clamped to the root
(``../x`` and ``/x`` both mean ``x``), parent directories are resolved through the
symlinks already in the tree (never leaving the root) and created (0755, root) when
missing, ``.wh.<name>`` removes ``<name>``, ``.wh..wh..opq`` empties its directory of
everything earlier layers put there, an entry replaces what was at its path unless both
are directories (then the directory's metadata is updated), and a hard link shares the
inode of its target (whose metadata the link's header then sets).

File data is never read here: a regular file records the layer and the offset of its data
in that layer's stored tar stream.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from dockyard.archive.tarpath import go_clean
from dockyard.errors import UnsafeArchivePath
from dockyard.layer import InvalidLayer

__all__ = ["Inode", "RootFS", "apply_layer"]

WHITEOUT_PREFIX = ".wh."
WHITEOUT_META_PREFIX = ".wh..wh."
WHITEOUT_OPAQUE = ".wh..wh..opq"
_MAX_LINKS = 255
_KINDS = {
    tarfile.REGTYPE: "file",
    tarfile.AREGTYPE: "file",
    tarfile.CONTTYPE: "file",
    tarfile.DIRTYPE: "dir",
    tarfile.SYMTYPE: "symlink",
    tarfile.LNKTYPE: "hardlink",
    tarfile.CHRTYPE: "char",
    tarfile.BLKTYPE: "block",
    tarfile.FIFOTYPE: "fifo",
}


@dataclass(eq=False, slots=True)
class Inode:
    """One file of the flattened tree; hard links share an Inode.

    Attributes:
        kind: ``file``, ``dir``, ``symlink``, ``char``, ``block`` or ``fifo``.
        mode: permission bits with setuid/setgid/sticky.
        uid: owner.
        gid: group.
        uname: owner name from the tar header.
        gname: group name from the tar header.
        mtime: modification time (seconds, possibly fractional).
        size: data size (regular files).
        layer: index of the layer holding the data (regular files).
        offset: offset of the data in that layer's tar stream.
        linkname: symlink target.
        devmajor: device major number.
        devminor: device minor number.
        xattrs: extended attributes.
        children: entries of a directory.
    """

    kind: str
    mode: int = 0o755
    uid: int = 0
    gid: int = 0
    uname: str = ""
    gname: str = ""
    mtime: float = 0
    size: int = 0
    layer: int = -1
    offset: int = 0
    linkname: str = ""
    devmajor: int = 0
    devminor: int = 0
    xattrs: dict[str, bytes] = field(default_factory=dict)
    children: dict[str, Inode] = field(default_factory=dict)


class RootFS:
    """The tree built so far; :meth:`walk` lists it in depth-first lexical order."""

    def __init__(self) -> None:
        self.root = Inode("dir")

    def walk(self) -> Iterator[tuple[str, Inode]]:
        """Yield ``(path, inode)`` for every entry but the root, parents first.

        Siblings come in byte order of their names (Go's ``filepath.Walk`` order).
        """
        stack: list[Iterator[tuple[str, Inode]]] = [self._children("", self.root)]
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
                continue
            path, node = item
            yield path, node
            if node.kind == "dir":
                stack.append(self._children(path + "/", node))

    @staticmethod
    def _children(prefix: str, node: Inode) -> Iterator[tuple[str, Inode]]:
        names = sorted(node.children, key=lambda n: n.encode("utf-8", "surrogateescape"))
        for name in names:
            child = node.children.get(name)
            if child is not None:
                yield prefix + name, child

    # --- resolution ---------------------------------------------------------------------

    def resolve_dir(self, parts: list[str], *, create: bool, where: str) -> Inode:
        """Walk ``parts`` from the root following symlinks inside the tree.

        Missing directories are created (0755, root) when ``create`` is set.

        Raises:
            InvalidLayer: a component is missing (without ``create``), is not a
                directory, or symlinks loop.
        """
        stack = [self.root]
        todo = list(parts)
        steps = 0
        while todo:
            steps += 1
            if steps > _MAX_LINKS:
                raise InvalidLayer(f"{where}: too many levels of symbolic links")
            part = todo.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if len(stack) > 1:
                    stack.pop()
                continue
            current = stack[-1]
            child = current.children.get(part)
            if child is None:
                if not create:
                    raise InvalidLayer(f"{where}: no such file or directory")
                child = Inode("dir", mode=0o755)
                current.children[part] = child
            if child.kind == "symlink":
                target = child.linkname
                if target.startswith("/"):
                    stack = [self.root]
                todo = [p for p in target.split("/") if p] + todo
                continue
            if child.kind != "dir":
                raise InvalidLayer(f"{where}: not a directory")
            stack.append(child)
        return stack[-1]


def clamp(name: str) -> list[str]:
    """Clean a member name and clamp it to the root; return its components."""
    if "\x00" in name:
        raise UnsafeArchivePath(name, f"invalid layer member name {name!r}: contains a NUL byte")
    cleaned = go_clean("/" + name)
    return [p for p in cleaned.split("/") if p]


def _xattrs(info: tarfile.TarInfo) -> dict[str, bytes]:
    out = {}
    for key, value in info.pax_headers.items():
        if key.startswith("SCHILY.xattr."):
            out[key[len("SCHILY.xattr.") :]] = value.encode("utf-8", "surrogateescape")
    return out


def _set_meta(node: Inode, info: tarfile.TarInfo, *, mode_and_time: bool = True) -> None:
    node.uid, node.gid = info.uid, info.gid
    node.uname, node.gname = info.uname, info.gname
    node.xattrs.update(_xattrs(info))
    if mode_and_time:
        node.mode = info.mode & 0o7777
        node.mtime = info.mtime


def _remove_not_unpacked(node: Inode, unpacked: set[tuple[int, str]]) -> None:
    for name in list(node.children):
        child = node.children[name]
        if (id(node), name) not in unpacked:
            del node.children[name]
        elif child.kind == "dir":
            _remove_not_unpacked(child, unpacked)


def apply_layer(tree: RootFS, index: int, stream: BinaryIO, label: str) -> None:
    """Apply one layer's tar stream (read once, headers only) to ``tree``.

    Args:
        tree: the tree of the layers below.
        index: the layer's index, recorded on the regular files it provides.
        stream: the layer's uncompressed tar stream, positioned at its start.
        label: names the layer in error messages.

    Raises:
        InvalidLayer: the tar is malformed, has an unsupported member type, or a hard
            link points to nothing (or to a directory).
        UnsafeArchivePath: a member name contains a NUL byte.
    """
    unpacked: set[tuple[int, str]] = set()
    try:
        with tarfile.open(
            fileobj=stream, mode="r|", encoding="utf-8", errors="surrogateescape"
        ) as archive:
            for info in archive:
                _apply_member(tree, index, info, unpacked, label)
    except tarfile.ReadError as exc:
        if str(exc) == "empty file":
            return
        raise InvalidLayer(f"layer {label}: {exc}") from exc
    except (tarfile.TarError, EOFError) as exc:
        raise InvalidLayer(f"layer {label}: {exc}") from exc


def _apply_member(
    tree: RootFS, index: int, info: tarfile.TarInfo, unpacked: set[tuple[int, str]], label: str
) -> None:
    kind = _KINDS.get(info.type)
    if kind is None:
        raise InvalidLayer(f"layer {label}: unhandled tar header type {info.type[0]}")
    parts = clamp(info.name)
    where = f"layer {label}: {info.name}"
    if not parts:
        if kind == "dir":
            _set_meta(tree.root, info)
        return
    if parts[0].startswith(WHITEOUT_META_PREFIX) and parts != [WHITEOUT_OPAQUE]:
        return  # AUFS metadata (.wh..wh.plnk, .wh..wh.aufs) is not part of the tree
    parent = tree.resolve_dir(parts[:-1], create=True, where=where)
    base = parts[-1]
    if base == WHITEOUT_OPAQUE:
        _remove_not_unpacked(parent, unpacked)
        return
    if base.startswith(WHITEOUT_PREFIX):
        parent.children.pop(base[len(WHITEOUT_PREFIX) :], None)
        return
    existing = parent.children.get(base)
    if existing is not None and not (existing.kind == "dir" and kind == "dir"):
        del parent.children[base]
        existing = None
    unpacked.add((id(parent), base))
    if kind == "hardlink":
        target_parts = clamp(info.linkname)
        if not target_parts:
            raise InvalidLayer(f"{where}: hard link to a directory")
        target_dir = tree.resolve_dir(target_parts[:-1], create=False, where=where)
        target = target_dir.children.get(target_parts[-1])
        if target is None:
            raise InvalidLayer(f"{where}: link target {info.linkname}: no such file or directory")
        if target.kind == "dir":
            raise InvalidLayer(f"{where}: link target {info.linkname}: operation not permitted")
        _set_meta(target, info, mode_and_time=target.kind != "symlink")
        parent.children[base] = target
        return
    node = existing if existing is not None else Inode(kind)
    _set_meta(node, info)
    if kind == "file":
        node.size, node.layer, node.offset = info.size, index, info.offset_data
    elif kind == "symlink":
        node.linkname = info.linkname
    elif kind in ("char", "block"):
        node.devmajor, node.devminor = info.devmajor, info.devminor
    parent.children[base] = node
