"""docker-py 7 and python-on-whales against ``dockyard serve`` and a private dockerd 20.10.

Both libraries run the same calls against each; the results must be equal (docker-py
pinned to API 1.41, the version dockerd 20.10 speaks; see ``docs/engine-api.md``).
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.compat.dockerd import PrivateDockerd
from tests.server.compare import normalise_inspect, normalise_wording, oracle
from tests.server.helpers import ORACLE_20, ServerProcess

pytestmark = pytest.mark.compat


def _docker_py_steps(base_url: str) -> list[Any]:
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url=base_url, version="1.41")
    out: list[Any] = []
    try:
        for name in ("base", "app", "untagged"):
            loaded = client.images.load(oracle(name).read_bytes())
            out.append(sorted(image.id for image in loaded))
        out.append(sorted((i.id, tuple(i.tags)) for i in client.images.list()))
        out.append(sorted(i.id for i in client.images.list(all=True)))
        out.append([i.id for i in client.images.list(filters={"dangling": True})])
        image = client.images.get("oracle/app:1")
        out.append(normalise_inspect(dict(image.attrs)))
        out.append(image.history())
        image.tag("py/tagged", "v1")
        out.append(client.images.get("py/tagged:v1").id)
        out.append(client.api.remove_image("py/tagged:v1"))
        with pytest.raises(docker.errors.ImageNotFound) as missing:
            client.images.get("nosuch/image:1")
        out.append(normalise_wording(missing.value.explanation))
        base = client.images.get("oracle/base:1")
        base.tag("py/other", "1")
        with pytest.raises(docker.errors.APIError) as conflict:
            client.images.remove(base.short_id.removeprefix("sha256:"))
        out.append((conflict.value.status_code, conflict.value.explanation))
        out.append(client.images.remove("py/other:1"))
        archive = b"".join(client.images.get("oracle/base:1").save(named=True))
        out.append(sorted(m for m in _members(archive) if m == "manifest.json"))
        with pytest.raises(docker.errors.ImageLoadError):
            client.images.load(b"not a tar\n")
        df = client.df()
        out.append((df["LayersSize"], sorted(i["Id"] for i in df["Images"])))
        out.append(_unordered(client.images.prune()))
        out.append(_unordered(client.images.prune(filters={"dangling": False})))
        out.append(client.images.list(all=True))
    finally:
        client.close()
    return out


def _unordered(report: dict[str, Any]) -> dict[str, Any]:
    """A prune report with its items sorted (dockerd's order is Go's map order)."""
    items = report.get("ImagesDeleted") or []
    return {**report, "ImagesDeleted": sorted(items, key=lambda i: sorted(i.items()))}


def _members(archive: bytes) -> list[str]:
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return tar.getnames()


def test_docker_py(private_dockerd: PrivateDockerd) -> None:
    if not ORACLE_20.is_dir():
        pytest.skip("shared/oracle/docker-20.10 is not available")
    private_dockerd.reset()
    want = _docker_py_steps(private_dockerd.host)
    with ServerProcess() as server:
        got = _docker_py_steps(server.host)
    for index, (ours, theirs) in enumerate(zip(got, want, strict=True)):
        assert ours == theirs, f"step {index}"


def _whales_steps(host: str, tmp: Any) -> list[Any]:
    whales = pytest.importorskip("python_on_whales")
    client = whales.DockerClient(host=host)
    out: list[Any] = []
    for name in ("base", "app", "multi"):
        out.append(sorted(client.image.load(oracle(name))))
    images = client.image.list()
    out.append(sorted((i.id, tuple(i.repo_tags)) for i in images))
    app = client.image.inspect("oracle/app:1")
    out.append((app.id, app.repo_tags, app.config.env, app.config.labels, app.size, app.os))
    client.image.tag("oracle/base:1", "whales/tagged:1")
    out.append(client.image.exists("whales/tagged:1"))
    client.image.remove("whales/tagged:1")
    out.append(client.image.exists("whales/tagged:1"))
    target = tmp / f"save-{len(str(host))}.tar"
    client.image.save("oracle/base:1", output=target)
    out.append(sorted(m for m in _members(target.read_bytes()) if m == "manifest.json"))
    out.append(client.image.prune(all=True))
    out.append(client.image.list(all=True))
    return out


def test_python_on_whales(private_dockerd: PrivateDockerd, tmp_path: Any) -> None:
    if not ORACLE_20.is_dir():
        pytest.skip("shared/oracle/docker-20.10 is not available")
    private_dockerd.reset()
    want = _whales_steps(private_dockerd.host, tmp_path)
    with ServerProcess() as server:
        got = _whales_steps(server.host, tmp_path)
    assert got[:-2] == want[:-2]
    assert got[-1] == want[-1] == []
