"""The one compress-and-hash step shared by save (``--layer-compression``) and push.

A layer's uncompressed tar stream is compressed into a file once, and the compressed
digest and size are computed on the way. Compression is deterministic for a given
installation (no timestamps, fixed levels), so the same layer always gives the same blob:
an archive saved twice, or a layer pushed twice, has the same digests.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dockyard._writeback import Writeback
from dockyard.compression import Compression, compress_writer
from dockyard.digest import Digest, HashingWriter
from dockyard.errors import StorageError

if TYPE_CHECKING:
    from pathlib import Path
    from typing import IO, Any

__all__ = ["CompressedBlob", "compress_to_file"]

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class CompressedBlob:
    """A compressed layer blob in a file.

    Attributes:
        digest: sha256 of the compressed bytes.
        size: their length.
        path: the file holding them.
    """

    digest: Digest
    size: int
    path: Path


def compress_to_file(
    source: IO[bytes] | Any, directory: Path, kind: Compression, level: int | None = None
) -> CompressedBlob:
    """Compress ``source`` (read to its end) into ``directory/<digest hex>``.

    Raises:
        StorageError: the file cannot be written.
        CompressionError: ``level`` is not valid for ``kind``.
    """
    temp = directory / f".{os.urandom(8).hex()}.tmp"
    try:
        with open(temp, "wb") as raw:
            hashed = HashingWriter(raw)
            with compress_writer(hashed, kind, level) as out:
                shutil.copyfileobj(source, out, _CHUNK)
            raw.flush()
            Writeback(raw.fileno()).finish(hashed.bytes_written)
        final = directory / hashed.digest.hex
        os.replace(temp, final)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise StorageError(f"failed to write a compressed layer: {exc.strerror}") from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return CompressedBlob(hashed.digest, hashed.bytes_written, final)
