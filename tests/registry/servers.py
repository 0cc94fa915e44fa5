"""Test servers: a real `docker-registry` process, a token server, and a static blob server."""

from __future__ import annotations

import base64
import contextlib
import datetime
import http.server
import json
import os
import secrets
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.compat.dockerd import require_tool

REGISTRY_START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class QuietHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ThreadedServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def serving(server: http.server.HTTPServer) -> Iterator[str]:
    """Run ``server`` in a thread; yield its ``127.0.0.1:port``; shut it down after."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- docker-registry ----------------------------------------------------------------


def bcrypt_hash(password: str) -> str:
    """A bcrypt hash distribution's htpasswd accepts (cost 4: fast, still bcrypt)."""
    bcrypt = pytest.importorskip("bcrypt", reason="the bcrypt package is needed for htpasswd")
    return str(bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode())


class RegistryProcess:
    """A `docker-registry serve` on 127.0.0.1 with filesystem storage in a temp dir."""

    def __init__(
        self, root: Path, auth: dict[str, Any] | None = None, tls: dict[str, Any] | None = None
    ) -> None:
        self.root = root
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.auth = auth
        self.tls = tls
        self.proc: subprocess.Popen[bytes] | None = None

    def config(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {
                "cache": {"blobdescriptor": "inmemory"},
                "filesystem": {"rootdirectory": str(self.root / "data")},
                "delete": {"enabled": True},
            },
            "http": {"addr": self.host},
        }
        if self.tls:
            doc["http"]["tls"] = self.tls
        if self.auth:
            doc["auth"] = self.auth
        return doc

    def start(self) -> None:
        binary = require_tool("docker-registry")  # skips, after .ci/install-tools under CI
        config = self.root / "config.yml"
        config.write_text(json.dumps(self.config()))  # JSON is YAML
        log = open(self.root / "registry.log", "wb")  # noqa: SIM115 - closed in stop()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.root)}
        self.proc = subprocess.Popen(
            [binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT, env=env
        )
        log.close()
        deadline = time.monotonic() + REGISTRY_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if self.tls:
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", self.port), timeout=1),
                ):
                    return
            with contextlib.suppress(httpx.HTTPError):
                status = httpx.get(f"http://{self.host}/v2/", timeout=1).status_code
                if status in (200, 401):
                    return
            time.sleep(0.05)
        self.stop()
        text = (self.root / "registry.log").read_text(errors="replace")[-2000:]
        pytest.fail(f"docker-registry did not start on {self.host}:\n{text}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


# --- token server ---------------------------------------------------------------------


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenIssuer:
    """An ES256 key and self-signed certificate; signs distribution-style JWTs."""

    def __init__(self, root: Path, issuer: str = "dockyard-test-issuer") -> None:
        crypto = pytest.importorskip("cryptography", reason="cryptography is needed for JWTs")
        del crypto
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.issuer = issuer
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        self.cert_der = cert.public_bytes(serialization.Encoding.DER)
        self.cert_path = root / "token.crt"
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def sign(self, claims: dict[str, Any]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(self.cert_der).decode()]}
        signing_input = (
            _b64u(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64u(json.dumps(claims, separators=(",", ":")).encode())
        )
        der = self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing_input + "." + _b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


class TokenServer:
    """Docker token server policy: good credentials get all actions, anonymous only pull."""

    def __init__(self, issuer: TokenIssuer, service: str, users: dict[str, str]) -> None:
        self.issuer = issuer
        self.service = service
        self.users = users
        self.refresh_tokens: dict[str, str] = {}
        self.requests: list[dict[str, Any]] = []
        self.expires_in = 300
        self.lock = threading.Lock()

    def grant(self, user: str | None, scopes: list[str]) -> dict[str, Any]:
        access = []
        for scope in " ".join(scopes).split():
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = [a for a in actions.split(",") if a]
            if user is None:
                wanted = [a for a in wanted if a == "pull"]
            access.append({"type": kind, "name": name, "actions": wanted})
        now = int(time.time())
        claims = {
            "iss": self.issuer.issuer,
            "sub": user or "",
            "aud": self.service,
            "exp": now + self.expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        token = self.issuer.sign(claims)
        issued = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        return {"token": token, "expires_in": self.expires_in, "issued_at": issued}

    def handler(self) -> type[QuietHandler]:
        server = self

        class Handler(QuietHandler):
            def reply(self, code: int, doc: dict[str, Any]) -> None:
                body = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query)
                auth = self.headers.get("Authorization", "")
                with server.lock:
                    server.requests.append({"method": "GET", "query": query, "authorization": auth})
                user = None
                if auth.startswith("Basic "):
                    name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                    if server.users.get(name) != password:
                        self.reply(
                            401,
                            {
                                "errors": [
                                    {"code": "UNAUTHORIZED", "message": "authentication required"}
                                ]
                            },
                        )
                        return
                    user = name
                self.reply(200, server.grant(user, query.get("scope", [])))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                with server.lock:
                    server.requests.append({"method": "POST", "query": form, "authorization": ""})
                user = server.refresh_tokens.get(form.get("refresh_token", [""])[0])
                if form.get("grant_type") != ["refresh_token"] or user is None:
                    self.reply(401, {"error": "invalid_grant"})
                    return
                doc = server.grant(user, form.get("scope", []))
                doc["access_token"] = doc.pop("token")
                self.reply(200, doc)

        return Handler


class BlobStore:
    """A plain HTTP server serving fixed bytes at fixed paths, recording request headers."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.seen: list[dict[str, str]] = []

    def handler(self) -> type[QuietHandler]:
        store = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                store.seen.append({k.lower(): v for k, v in self.headers.items()})
                data = store.blobs.get(urllib.parse.urlsplit(self.path).path)
                if data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
