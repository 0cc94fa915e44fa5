"""Interoperability with skopeo: each reads what the other pushed, digests equal."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from dockyard.digest import sha256_bytes
from dockyard.registry import FileSink, ImageManifest
from tests.compat.dockerd import require_tool
from tests.registry.images import make_image, push_image

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello.tar"


def skopeo(work_dir: Path, *args: str) -> str:
    binary = require_tool("skopeo")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(work_dir)}
    proc = subprocess.run(
        [binary, "--insecure-policy", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, f"skopeo {' '.join(args)}:\n{proc.stderr}"
    return proc.stdout


def test_skopeo_reads_what_we_push(client, registry, repo_name, work_dir):
    repo = client.repository(f"{registry.host}/{repo_name}")
    image = make_image((2000, 50_000))
    digest = push_image(repo, image, "1")
    ref = f"docker://{registry.host}/{repo_name}:1"

    inspected = json.loads(skopeo(work_dir, "inspect", "--tls-verify=false", ref))
    assert inspected["Digest"] == digest
    assert inspected["Layers"] == [str(sha256_bytes(layer)) for layer in image.layers]
    assert (
        skopeo(work_dir, "inspect", "--raw", "--tls-verify=false", ref).encode() == image.manifest
    )

    skopeo(work_dir, "copy", "--src-tls-verify=false", ref, f"dir:{work_dir / 'copy'}")
    for blob in image.blobs():
        assert (work_dir / "copy" / sha256_bytes(blob).hex).read_bytes() == blob


def test_we_read_what_skopeo_pushes(client, registry, repo_name, work_dir):
    ref = f"docker://{registry.host}/{repo_name}:hello"
    skopeo(work_dir, "copy", "--dest-tls-verify=false", f"docker-archive:{EXAMPLE}", ref)
    expected = json.loads(skopeo(work_dir, "inspect", "--tls-verify=false", ref))["Digest"]
    raw = skopeo(work_dir, "inspect", "--raw", "--tls-verify=false", ref).encode()

    repo = client.repository(f"{registry.host}/{repo_name}")
    manifest = repo.get_manifest("hello")
    assert isinstance(manifest, ImageManifest)
    assert manifest.digest == expected
    assert manifest.raw == raw
    assert repo.head_manifest("hello").digest == expected
    for blob in (manifest.config, *manifest.layers):
        with FileSink(work_dir / blob.digest.hex) as sink:
            assert repo.get_blob(blob.digest, sink, size=blob.size) == blob.size
        assert sha256_bytes((work_dir / blob.digest.hex).read_bytes()) == blob.digest
