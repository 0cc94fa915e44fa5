"""The registry of the registry suite: `docker-registry serve` behind a counting proxy.

Also the private environment every tool of the suite runs in (no ~/.docker, no
~/.config/containers, no *_proxy variables).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.peers import OpFailed, Unavailable
from bench.regproxy import CountingProxy, Counts

START_TIMEOUT = 20.0
ACCEPT = ", ".join((
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
))  # fmt: skip
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # ignore *_proxy


def _free_port(used: set[int]) -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in used:
            used.add(port)
            return port


class Registry:
    """`docker-registry serve` on 127.0.0.1 with a counting proxy in front (``host``)."""

    def __init__(self, root: Path, used_ports: set[int]) -> None:
        binary = shutil.which("docker-registry")
        if binary is None:
            raise Unavailable("docker-registry not installed")
        root.mkdir(parents=True)
        self.root, self.data = root, root / "data"
        self.direct = f"127.0.0.1:{_free_port(used_ports)}"
        config = {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {
                "cache": {"blobdescriptor": "inmemory"},
                "filesystem": {"rootdirectory": str(self.data)},
                "delete": {"enabled": True},
            },
            "http": {"addr": self.direct},
        }
        (root / "config.yml").write_text(json.dumps(config))  # JSON is YAML
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root)}
        with open(root / "registry.log", "wb") as log:
            self.proc = subprocess.Popen(
                [binary, "serve", str(root / "config.yml")], stdout=log,
                stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip
        if not self._started():
            self.stop()
            log_tail = (root / "registry.log").read_text(errors="replace")[-300:]
            raise OpFailed(f"docker-registry did not start: {log_tail}")
        upstream = ("127.0.0.1", int(self.direct.rsplit(":", 1)[1]))
        self.proxy: CountingProxy | None = CountingProxy(upstream, _free_port(used_ports))
        self.host = self.proxy.host  # what the tools talk to

    def _started(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while self.proc.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                _DIRECT.open(f"http://{self.direct}/v2/", timeout=1).close()
                return True
            time.sleep(0.05)
        return False

    def counts(self) -> Counts:
        """The proxy's counts since the last call."""
        assert self.proxy is not None
        return self.proxy.reset()

    def stop(self) -> None:
        """Stop the proxy and the registry (again: nothing)."""
        proxy, self.proxy = getattr(self, "proxy", None), None
        if proxy is not None:
            proxy.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def _manifest(self, repo: str, ref: str) -> tuple[bytes, str]:
        req = urllib.request.Request(
            f"http://{self.direct}/v2/{repo}/manifests/{ref}", headers={"Accept": ACCEPT}
        )
        with _DIRECT.open(req, timeout=30) as resp:
            return resp.read(), resp.headers.get("Content-Type", "")

    def has(self, repo: str, tag: str) -> bool:
        """Whether ``repo:tag`` exists."""
        try:
            self._manifest(repo, tag)
        except (urllib.error.URLError, OSError):
            return False
        return True

    def copy_tag(self, repo: str, tag: str, new_tag: str) -> None:
        """Put the manifest of ``repo:tag`` under ``new_tag`` too (not through the proxy)."""
        try:
            body, media_type = self._manifest(repo, tag)
            req = urllib.request.Request(
                f"http://{self.direct}/v2/{repo}/manifests/{new_tag}", data=body, method="PUT",
                headers={"Content-Type": media_type},
            )  # fmt: skip
            _DIRECT.open(req, timeout=30).close()
        except (urllib.error.URLError, OSError) as exc:
            raise OpFailed(f"cannot tag {repo}:{new_tag}: {exc}") from exc


def private_env(root: Path) -> dict[str, str]:
    """The environment of every tool: private Docker/containers config, home and temp dirs."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.lower().endswith("_proxy") and not k.startswith(("DOCKYARD_", "REGISTRY_"))
        and k != "PYTHONDONTWRITEBYTECODE"  # dockyard runs from cached bytecode, as installed
    }  # fmt: skip
    dirs = {name: root / name for name in ("docker", "home", "tmp", "run", "config", "data")}
    for path in dirs.values():
        path.mkdir(parents=True, mode=0o700)
    (dirs["docker"] / "config.json").write_text('{"auths": {}}\n')
    (root / "auth.json").write_text('{"auths": {}}\n')
    env.update(
        DOCKER_CONFIG=str(dirs["docker"]), HOME=str(dirs["home"]), TMPDIR=str(dirs["tmp"]),
        XDG_RUNTIME_DIR=str(dirs["run"]), XDG_CONFIG_HOME=str(dirs["config"]),
        XDG_DATA_HOME=str(dirs["data"]), REGISTRY_AUTH_FILE=str(root / "auth.json"),
    )  # fmt: skip
    return env
