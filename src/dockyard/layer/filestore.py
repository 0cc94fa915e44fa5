"""On-disk layer database (Docker's ``layerdb`` layout) and the layer payload directories."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from dockyard._atomic import TEMP_PREFIX, fsync_dir, make_dirs, remove_tree
from dockyard.digest import ChainID, DiffID, Digest, is_valid_hex
from dockyard.errors import InvalidDigest, StorageError
from dockyard.layer.model import LayerProblem, StagedLayer

__all__ = ["FSLayerDB", "RawLayer", "new_cache_id"]

PAYLOAD_NAME = "layer.tar"
_REMOVING_SUFFIX = "-removing"
_WRITE_SET_PREFIX = "write-set-"
_INT64 = re.compile(r"[+-]?[0-9]+")
_FILE_MODE = 0o644


def new_cache_id() -> str:
    """Return a random 64-hex ID whose first 12 characters are not all digits."""
    while True:
        value = os.urandom(32).hex()
        if not value[:12].isdigit():
            return value


def _safe_name(value: str) -> bool:
    return bool(value) and value not in (".", "..") and "/" not in value and "\x00" not in value


@dataclass(frozen=True, slots=True)
class RawLayer:
    """The validated files of one ``sha256/<chain hex>`` directory."""

    chain_id: ChainID
    diff_id: DiffID
    diff_size: int
    cache_id: str
    parent: ChainID | None


class _BadLayer(Exception):
    pass


class FSLayerDB:
    """Reads and writes ``<layerdb>/sha256/<chain>/`` and ``<data>/<cache-id>/layer.tar``.

    Args:
        layerdb: the layer database directory (``.../layerdb``).
        data: the payload directory (the "graph driver" data).
    """

    def __init__(self, layerdb: Path, data: Path) -> None:
        self.root = Path(layerdb)
        self.data = Path(data)
        self.sha256_dir = self.root / "sha256"
        self.tmp_dir = self.root / "tmp"

    def ensure_layout(self) -> None:
        """Create the directories with Docker's modes when missing.

        Raises:
            StorageError: a directory cannot be created.
        """
        try:
            make_dirs(self.root, 0o700)
            make_dirs(self.sha256_dir, 0o755)
            make_dirs(self.tmp_dir, 0o755)
            make_dirs(self.data, 0o700)
        except OSError as exc:
            raise StorageError(f"failed to create layer store: {exc}") from exc

    def layer_dir(self, chain_id: ChainID) -> Path:
        """The metadata directory of a layer."""
        return self.sha256_dir / chain_id.hex

    def payload_dir(self, cache_id: str) -> Path:
        """The payload directory of a cache ID."""
        return self.data / cache_id

    def payload_path(self, cache_id: str) -> Path:
        """The payload tar of a cache ID."""
        return self.data / cache_id / PAYLOAD_NAME

    # --- reading ------------------------------------------------------------------------

    def scan(self) -> tuple[list[RawLayer], list[LayerProblem]]:
        """Read every valid layer directory; invalid ones are reported, not raised."""
        layers: list[RawLayer] = []
        problems: list[LayerProblem] = []
        for entry in self._entries(self.sha256_dir):
            if not is_valid_hex(entry.name) or not entry.is_dir(follow_symlinks=False):
                continue
            path = Path(entry.path)
            try:
                layers.append(self._read_layer(entry.name, path))
            except _BadLayer as exc:
                problems.append(LayerProblem(entry.name, path, str(exc)))
        return layers, problems

    def referenced_cache_ids(self) -> set[str]:
        """Cache IDs named by any layer directory, valid or not."""
        found: set[str] = set()
        for entry in self._entries(self.sha256_dir):
            if not is_valid_hex(entry.name):
                continue
            with contextlib.suppress(OSError, UnicodeDecodeError):
                found.add((Path(entry.path) / "cache-id").read_text("utf-8").strip())
        return found

    def _read_layer(self, name: str, path: Path) -> RawLayer:
        chain = ChainID(Digest.from_hex(name))
        diff = DiffID(self._read_digest(path / "diff", "diff"))
        size_text = self._read_text(path / "size", "size")
        if _INT64.fullmatch(size_text) is None or not -(2**63) <= int(size_text) < 2**63:
            raise _BadLayer(f"invalid size value: {size_text!r}")
        cache_id = self._read_text(path / "cache-id", "cache-id").strip()
        if not _safe_name(cache_id):
            raise _BadLayer("invalid cache id value")
        try:
            parent: ChainID | None = ChainID(self._read_digest(path / "parent", "parent"))
        except FileNotFoundError:
            parent = None
        payload = self.payload_path(cache_id)
        if not payload.is_file() or payload.is_symlink():
            raise _BadLayer(f"missing layer payload: {cache_id}/{PAYLOAD_NAME}")
        return RawLayer(chain, diff, int(size_text), cache_id, parent)

    def _read_digest(self, path: Path, what: str) -> Digest:
        text = self._read_text(path, what).strip()
        try:
            return Digest(text)
        except InvalidDigest as exc:
            raise _BadLayer(f"invalid {what} value: {exc}") from exc

    @staticmethod
    def _read_text(path: Path, what: str) -> str:
        try:
            return path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            if what == "parent":
                raise
            raise _BadLayer(f"missing {what} file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise _BadLayer(f"failed to read {what}: {exc}") from exc

    @staticmethod
    def _entries(directory: Path) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(directory) as it:
                return sorted(it, key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise StorageError(f"failed to read {directory.name}: {exc}") from exc

    # --- writing ------------------------------------------------------------------------

    def new_payload_dir(self) -> tuple[str, Path]:
        """Create a payload directory for a fresh cache ID; return both.

        Raises:
            StorageError: the directory cannot be created.
        """
        for _ in range(8):
            cache_id = new_cache_id()
            directory = self.payload_dir(cache_id)
            try:
                directory.mkdir(mode=0o700)
            except FileExistsError:
                continue
            except OSError as exc:
                raise StorageError(f"failed to create layer directory: {exc}") from exc
            os.chmod(directory, 0o700)
            return cache_id, directory
        raise StorageError("failed to create layer directory: no free cache id")

    def adopt_payload(self, staged: StagedLayer) -> str:
        """Return a cache ID holding the staged data: its own once, then hard links.

        Raises:
            StorageError: the data cannot be linked or copied.
        """
        if not staged.consumed:
            staged.consumed = True
            return staged.cache_id
        cache_id, directory = self.new_payload_dir()
        source, target = self.payload_path(staged.cache_id), self.payload_path(cache_id)
        try:
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
                os.chmod(target, 0o644)
        except OSError as exc:
            remove_tree(directory)
            raise StorageError(f"failed to store layer data: {exc}") from exc
        return cache_id

    def drop_adopted(self, staged: StagedLayer, cache_id: str) -> None:
        """Undo :meth:`adopt_payload` after a failed or redundant commit."""
        if cache_id == staged.cache_id:
            staged.consumed = False
        else:
            remove_tree(self.payload_dir(cache_id))

    def commit_layer(self, raw: RawLayer) -> bool:
        """Write a layer's metadata as a transaction and rename it into place.

        Returns:
            False when a directory for the chain already exists (nothing is written).

        Raises:
            StorageError: the write failed; the transaction directory is removed.
        """
        tx = self.tmp_dir / f"{_WRITE_SET_PREFIX}{os.urandom(16).hex()}"
        files = {
            "diff": str(raw.diff_id),
            "size": str(raw.diff_size),
            "cache-id": raw.cache_id,
        }
        if raw.parent is not None:
            files["parent"] = str(raw.parent)
        target = self.layer_dir(raw.chain_id)
        try:
            tx.mkdir(mode=0o700)
            os.chmod(tx, 0o700)
            for name, text in files.items():
                _write_synced(tx / name, text.encode("ascii"))
            fsync_dir(tx)
            if target.exists():
                remove_tree(tx)
                return False
            os.rename(tx, target)
        except OSError as exc:
            remove_tree(tx)
            if target.is_dir():
                return False
            raise StorageError(f"failed to write layer {raw.chain_id}: {exc}") from exc
        fsync_dir(self.sha256_dir)
        return True

    def delete_layer(self, chain_id: ChainID, cache_id: str) -> None:
        """Delete a layer: rename its directory to ``-removing``, drop payload, then it.

        Raises:
            StorageError: the directory cannot be renamed.
        """
        source = self.layer_dir(chain_id)
        doomed = self.sha256_dir / f"{chain_id.hex}-{os.urandom(32).hex()}{_REMOVING_SUFFIX}"
        try:
            os.rename(source, doomed)
        except FileNotFoundError:
            doomed = source  # already gone; still remove the payload
        except OSError as exc:
            raise StorageError(f"failed to remove layer {chain_id}: {exc}") from exc
        fsync_dir(self.sha256_dir)
        if _safe_name(cache_id):
            remove_tree(self.payload_dir(cache_id))
        remove_tree(doomed)

    # --- maintenance --------------------------------------------------------------------

    def leftovers(self, referenced: set[str]) -> list[Path]:
        """Paths a crash or interrupted delete left behind (nothing is removed here)."""
        found = [Path(e.path) for e in self._entries(self.tmp_dir)]
        for entry in self._entries(self.sha256_dir):
            if entry.name.endswith(_REMOVING_SUFFIX) or entry.name.startswith(TEMP_PREFIX):
                found.append(Path(entry.path))
        for entry in self._entries(self.root):
            if entry.name.startswith(TEMP_PREFIX):
                found.append(Path(entry.path))
        for entry in self._entries(self.data):
            unreferenced = is_valid_hex(entry.name) and entry.name not in referenced
            if unreferenced or entry.name.startswith(TEMP_PREFIX):
                found.append(Path(entry.path))
            elif entry.name in referenced and entry.is_dir(follow_symlinks=False):
                found.extend(
                    Path(e.path)
                    for e in self._entries(Path(entry.path))
                    if e.name.startswith(TEMP_PREFIX)
                )
        return found


def _write_synced(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fchmod(fd, _FILE_MODE)
        os.fsync(fd)
    finally:
        os.close(fd)
