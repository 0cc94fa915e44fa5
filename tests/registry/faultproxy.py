"""A small threaded reverse proxy that injects faults in front of a real registry.

Faults are queued rules; each matches a method and a path pattern and fires a bounded
number of times: answer a status (500, 429 with ``Retry-After``), drop the connection
after N body bytes, redirect to another server, or corrupt one byte of the body. Every
exchange is recorded with the number of response body bytes actually sent.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
from dataclasses import dataclass, field

from tests.registry.servers import QuietHandler, ThreadedServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


@dataclass
class Fault:
    method: str
    path: str  # a regular expression searched in the request path
    kind: str  # "status" | "drop" | "redirect" | "corrupt"
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    after: int = 0  # "drop": body bytes sent before the connection is cut
    target: str = ""  # "redirect": base URL the path is appended to
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and method == self.method and re.search(self.path, path) is not None


@dataclass
class Exchange:
    method: str
    path: str
    headers: dict[str, str]
    status: int
    sent: int
    fault: str = ""


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.faults: list[Fault] = []
        self.log: list[Exchange] = []
        self.lock = threading.Lock()
        self.server = ThreadedServer(("127.0.0.1", 0), self._handler())
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def add(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def requests_to(self, method: str, pattern: str) -> list[Exchange]:
        with self.lock:
            return [e for e in self.log if e.method == method and re.search(pattern, e.path)]

    def take(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    def record(self, exchange: Exchange) -> None:
        with self.lock:
            self.log.append(exchange)

    def _handler(self) -> type[QuietHandler]:
        proxy = self

        class Handler(QuietHandler):
            def read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = bytearray()
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return bytes(out)
                        out += self.rfile.read(size)
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def handle_any(self) -> None:
                method = self.command
                body = self.read_body()
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                lowered = {k.lower(): v for k, v in headers.items()}
                fault = proxy.take(method, self.path)
                if fault is not None and fault.kind == "status":
                    self.answer(
                        fault.status, fault.headers, b'{"errors":[]}', method, lowered, "status"
                    )
                    return
                if fault is not None and fault.kind == "redirect":
                    location = fault.target + self.path
                    self.answer(307, {"Location": location}, b"", method, lowered, "redirect")
                    return
                conn = http.client.HTTPConnection(proxy.upstream, timeout=30)
                try:
                    conn.request(method, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    out_headers = {
                        k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP
                    }
                finally:
                    conn.close()
                if fault is not None and fault.kind == "corrupt" and data:
                    data = bytes([data[0] ^ 0xFF]) + data[1:]
                cut = fault.after if fault is not None and fault.kind == "drop" else None
                self.answer(
                    resp.status,
                    out_headers,
                    data,
                    method,
                    lowered,
                    fault.kind if fault else "",
                    cut=cut,
                )

            def answer(
                self,
                status: int,
                headers: dict[str, str],
                data: bytes,
                method: str,
                request_headers: dict[str, str],
                fault: str,
                cut: int | None = None,
            ) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                if method == "HEAD":
                    length = headers.get("Content-Length") or headers.get("content-length") or "0"
                    self.send_header("Content-Length", length)
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                chunk = b"" if method == "HEAD" else data if cut is None else data[:cut]
                # Recorded before the client can see the answer, so a test that got it
                # always finds it in the log.
                proxy.record(
                    Exchange(method, self.path, request_headers, status, len(chunk), fault)
                )
                if chunk:
                    self.wfile.write(chunk)
                self.wfile.flush()
                if cut is not None:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

        return Handler
