"""A counting TCP forwarder in front of a registry: how many bytes each client sent and got.

Every connection to the proxy is forwarded to the registry byte for byte by two threads, one
per direction. The client-to-registry direction is also parsed as HTTP/1.1 requests (request
line, headers, then a body framed by ``Content-Length`` or chunked encoding), so the body
bytes of blob uploads (``POST``/``PATCH``/``PUT`` under ``/v2/<name>/blobs/uploads/``) are
counted apart from everything else: that is the layer (and config) data a client pushed.
The registry-to-client direction is counted as raw bytes (headers included). Nothing is
changed or buffered beyond one ``recv``; the cost is a copy through user space.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
from dataclasses import dataclass

_BUFFER = 1 << 20
_HEAD_PIECE = 8192
_UPLOAD_METHODS = (b"POST", b"PATCH", b"PUT")


@dataclass
class Counts:
    """Bytes moved through the proxy since the last reset."""

    blob_up: int = 0  # body bytes of blob upload requests
    up: int = 0  # every byte client -> registry
    down: int = 0  # every byte registry -> client
    requests: int = 0
    parse_errors: int = 0  # connections whose requests could not be parsed (blob_up too low)


class Tally:
    """The proxy's counts, updated by every connection's threads."""

    def __init__(self) -> None:
        self.counts = Counts()
        self.lock = threading.Lock()

    def add(
        self, *, blob_up: int = 0, up: int = 0, down: int = 0, requests: int = 0,
        parse_errors: int = 0,
    ) -> None:  # fmt: skip
        """Add to the counts."""
        with self.lock:
            c = self.counts
            c.blob_up, c.up, c.down = c.blob_up + blob_up, c.up + up, c.down + down
            c.requests, c.parse_errors = c.requests + requests, c.parse_errors + parse_errors

    def reset(self) -> Counts:
        """Return the counts so far and start again from zero."""
        with self.lock:
            counts, self.counts = self.counts, Counts()
        return counts


class RequestCounter:
    """Parses one connection's request stream and counts the body bytes of blob uploads."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.head = bytearray()  # an incomplete request head or chunk-size line
        self.state = "head"  # head, body, chunk-size, chunk, chunk-end, trailer
        self.left = 0  # bytes left of the body or of the current chunk
        self.upload = False  # the current request is a blob upload
        self.lost = False  # the stream could not be parsed: only raw bytes are counted

    def feed(self, data: memoryview) -> None:
        """Account for the next bytes of the stream."""
        up, blob_up = len(data), 0
        while len(data):
            if self.state in ("body", "chunk"):
                n = min(self.left, len(data))
                self.left -= n
                data = data[n:]
                if self.upload:
                    blob_up += n
                if not self.left:
                    self.state = "head" if self.state == "body" else "chunk-end"
                continue
            # a request head or a chunk's line: copy at most _HEAD_PIECE bytes at a time, so
            # that a big body following the line is never copied
            end = b"\r\n\r\n" if self.state == "head" else b"\r\n"
            start = max(0, len(self.head) - len(end) + 1)
            piece = data[:_HEAD_PIECE]
            self.head += piece
            found = self.head.find(end, start)
            if found < 0:
                data = data[len(piece) :]
                continue
            rest = len(self.head) - (found + len(end))  # bytes of the piece after the line
            data = data[len(piece) - rest :]
            line = bytes(self.head[:found])
            del self.head[:]
            self._line(line)
        self.tally.add(up=up, blob_up=blob_up)

    def _line(self, line: bytes) -> None:
        if self.state == "head":
            self._request(line)
        elif self.state == "chunk-size":
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            self.left = size
            self.state = "chunk" if size else "trailer"
        elif self.state == "chunk-end":
            self.state = "chunk-size"
        elif self.state == "trailer" and not line:
            self.state = "head"

    def _request(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        while lines and not lines[0]:  # stray CRLF between requests
            lines.pop(0)
        if not lines:
            return
        parts = lines[0].split()
        method, path = (parts[0], parts[1]) if len(parts) >= 2 else (b"", b"")
        headers: dict[bytes, bytes] = {}
        for header in lines[1:]:
            name, _, value = header.partition(b":")
            headers[name.strip().lower()] = value.strip()
        self.tally.add(requests=1)
        self.upload = method in _UPLOAD_METHODS and b"/blobs/uploads/" in path
        if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            self.state = "chunk-size"
        elif int(headers.get(b"content-length", b"0") or b"0") > 0:
            self.left = int(headers[b"content-length"])
            self.state = "body"


class CountingProxy:
    """Listens on 127.0.0.1 (``port``, else a free one) and forwards connections to ``upstream``."""

    def __init__(self, upstream: tuple[str, int], port: int = 0) -> None:
        self.upstream = upstream
        self.tally = Tally()
        self.lock = threading.Lock()  # guards self.sockets
        self.listener = socket.create_server(("127.0.0.1", port))
        self.port: int = self.listener.getsockname()[1]
        self.host = f"127.0.0.1:{self.port}"
        self.sockets: set[socket.socket] = set()
        self.closed = False
        self.thread = threading.Thread(target=self._accept, name="regproxy", daemon=True)
        self.thread.start()

    def reset(self) -> Counts:
        """Return the counts so far and start again from zero."""
        return self.tally.reset()

    def close(self) -> None:
        """Stop accepting and drop every open connection."""
        self.closed = True
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            open_sockets = list(self.sockets)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(5)

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.sockets.update((client, server))
            parser = RequestCounter(self.tally)
            done = threading.Barrier(2, action=functools.partial(self._forget, client, server))
            for args in ((client, server, parser, done), (server, client, None, done)):
                threading.Thread(target=self._pump, args=args, daemon=True).start()

    def _forget(self, client: socket.socket, server: socket.socket) -> None:
        with self.lock:
            self.sockets.difference_update((client, server))
        client.close()
        server.close()

    def _pump(
        self,
        src: socket.socket,
        dst: socket.socket,
        parser: RequestCounter | None,
        done: threading.Barrier,
    ) -> None:
        buf = bytearray(_BUFFER)
        view = memoryview(buf)
        try:
            while n := src.recv_into(buf):
                dst.sendall(view[:n])
                if parser is not None and not parser.lost:
                    try:
                        parser.feed(view[:n])
                    except ValueError:  # not HTTP as expected: keep forwarding, stop parsing
                        parser.lost = True
                        self.tally.add(up=n, parse_errors=1)
                elif parser is not None:
                    self.tally.add(up=n)
                else:
                    self.tally.add(down=n)
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
            with contextlib.suppress(OSError):
                src.shutdown(socket.SHUT_RD)
            with contextlib.suppress(threading.BrokenBarrierError):
                done.wait()
