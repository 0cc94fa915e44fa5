"""TLS with Docker's certs.d layout: a CA and a client certificate against a real registry."""

from __future__ import annotations

import datetime
import io
import ipaddress
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from dockyard.digest import sha256_bytes
from dockyard.registry import RegistryClient, client_ssl_context
from tests.registry.servers import RegistryProcess


@dataclass
class Pki:
    ca: bytes
    server_cert: bytes
    server_key: bytes
    client_cert: bytes
    client_key: bytes


def make_pki() -> Pki:
    pytest.importorskip("cryptography", reason="cryptography is needed to make certificates")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def pem_key(key: Any) -> bytes:
        return bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("dockyard test CA"))
        .issuer_name(name("dockyard test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(cn: str, usage: Any, san: bool) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(cn))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
        cert = builder.sign(ca_key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM), pem_key(key)

    server_cert, server_key = leaf("127.0.0.1", ExtendedKeyUsageOID.SERVER_AUTH, True)
    client_cert, client_key = leaf("dockyard client", ExtendedKeyUsageOID.CLIENT_AUTH, False)
    return Pki(
        ca.public_bytes(serialization.Encoding.PEM),
        server_cert,
        server_key,
        client_cert,
        client_key,
    )


@pytest.fixture
def tls_registry(work_dir: Path) -> Iterator[tuple[RegistryProcess, Pki]]:
    pki = make_pki()
    root = work_dir / "registry"
    root.mkdir()
    for file_name, data in (
        ("ca.pem", pki.ca),
        ("server.pem", pki.server_cert),
        ("server.key", pki.server_key),
    ):
        (root / file_name).write_bytes(data)
    tls = {
        "certificate": str(root / "server.pem"),
        "key": str(root / "server.key"),
        "clientcas": [str(root / "ca.pem")],
    }
    process = RegistryProcess(root, tls=tls)
    process.start()
    try:
        yield process, pki
    finally:
        process.stop()


def test_certs_d_ca_and_client_certificate(tls_registry, work_dir, make_client):
    registry, pki = tls_registry
    certs = work_dir / "certs.d"
    host_dir = certs / registry.host
    host_dir.mkdir(parents=True)
    (host_dir / "ca.crt").write_bytes(pki.ca)
    (host_dir / "client.cert").write_bytes(pki.client_cert)
    (host_dir / "client.key").write_bytes(pki.client_key)

    url = f"https://{registry.host}/v2/"
    with httpx.Client(verify=client_ssl_context(registry.host, certs), trust_env=False) as http:
        assert http.get(url).status_code == 200  # CA verified the server, client cert accepted

    # loopback registries are insecure (no verification, as in Docker), but the client
    # certificate from certs.d is still presented, and https is preferred over http
    client: RegistryClient = make_client(certs_dir=certs)
    repo = client.repository(f"{registry.host}/tls/app")
    data = b"over tls"
    repo.upload_blob(io.BytesIO(data), digest=sha256_bytes(data), size=len(data))
    assert repo.read_blob(sha256_bytes(data)) == data
    assert client.ping(registry.host) == f"https://{registry.host}"

    (host_dir / "client.cert").unlink()
    (host_dir / "client.key").unlink()
    no_cert = client_ssl_context(registry.host, certs)
    with httpx.Client(verify=no_cert, trust_env=False) as http, pytest.raises(httpx.HTTPError):
        http.get(url)  # the registry requires a client certificate

    shutil.rmtree(host_dir)
    untrusted = client_ssl_context(registry.host, certs)
    with (
        httpx.Client(verify=untrusted, trust_env=False) as http,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        http.get(url)  # without the CA the server is not trusted
