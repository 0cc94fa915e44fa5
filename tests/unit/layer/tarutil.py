"""Small builders of layer tar streams for the layer tests."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable


def make_tar(
    files: Iterable[tuple[str, bytes]],
    *,
    fmt: int = tarfile.PAX_FORMAT,
    dirs: Iterable[str] = (),
) -> bytes:
    """Return an uncompressed tar holding ``dirs`` then regular ``files``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
        for name in dirs:
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            archive.addfile(info)
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class ZeroTarStream(io.RawIOBase):
    """A valid tar of one file holding ``size`` zero bytes, generated on the fly."""

    def __init__(self, size: int) -> None:
        super().__init__()
        info = tarfile.TarInfo("zeros")
        info.size = size
        header = info.tobuf(format=tarfile.USTAR_FORMAT)
        padding = -size % 512
        self._parts: list[tuple[bytes | None, int]] = [
            (header, len(header)),
            (None, size + padding + 1024),
        ]
        self.total = len(header) + size + padding + 1024

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        while self._parts:
            data, remaining = self._parts[0]
            if remaining == 0:
                self._parts.pop(0)
                continue
            n = min(len(view), remaining)
            if data is None:
                view[:n] = bytes(n)
            else:
                offset = len(data) - remaining
                view[:n] = data[offset : offset + n]
            self._parts[0] = (data, remaining - n)
            return n
        return 0
