"""A private, throw-away Docker daemon for compatibility tests.

`PrivateDockerd` starts Debian's `dockerd` with the vfs storage driver, a private data root,
exec root, pidfile, config file and unix socket inside a short temporary directory, never
listens on TCP, and removes everything when it stops. `run` drives the `docker` CLI against
that socket with a scrubbed environment, so the host's Docker configuration never leaks in.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALL_TOOLS = REPO_ROOT / ".ci" / "install-tools"

# sbin directories are often missing from PATH for non-login shells, and dockerd lives there.
_EXTRA_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")

_install_lock = threading.Lock()
_install_result: str | None = None


class DockerdStartError(RuntimeError):
    """The private daemon did not come up within its time bound."""


class DockerCommandError(subprocess.CalledProcessError):
    """A `docker` command exited non-zero; the message carries its output."""

    def __str__(self) -> str:
        cmd = " ".join(self.cmd) if isinstance(self.cmd, list | tuple) else str(self.cmd)
        return (
            f"`{cmd}` exited with {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


def _search_path() -> str:
    parts = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    parts += [p for p in _EXTRA_PATH if p not in parts]
    return os.pathsep.join(parts)


def find_tool(name: str) -> str | None:
    """Return the absolute path of an executable, also looking in the sbin directories."""
    return shutil.which(name, path=_search_path())


def install_tools() -> str:
    """Run `.ci/install-tools` once per process and return a one-line summary of the outcome."""
    global _install_result
    with _install_lock:
        if _install_result is None:
            if not INSTALL_TOOLS.is_file():
                _install_result = f"{INSTALL_TOOLS.name} not found"
            else:
                try:
                    proc = subprocess.run(
                        ["bash", str(INSTALL_TOOLS)],
                        capture_output=True,
                        text=True,
                        timeout=600,
                        check=False,
                    )
                    text = (proc.stdout + proc.stderr).strip()
                    _install_result = text.splitlines()[-1] if text else f"rc={proc.returncode}"
                except (OSError, subprocess.TimeoutExpired) as exc:
                    _install_result = f"install-tools failed: {exc}"
        return _install_result


def require_tool(name: str) -> str:
    """Return the path of binary `name`, or skip the test with a clear reason.

    When the binary is missing and the environment variable ``CI`` is set, `.ci/install-tools`
    is tried first (once per process).
    """
    path = find_tool(name)
    if path is None and os.environ.get("CI"):
        outcome = install_tools()
        path = find_tool(name)
        if path is None:
            pytest.skip(f"`{name}` is not installed, even after .ci/install-tools ({outcome})")
    if path is None:
        pytest.skip(
            f"`{name}` is not installed; run .ci/install-tools (or set CI=1 to let the "
            "tests run it)"
        )
    return path


def require_root() -> None:
    """Skip unless running as root (a private rootful dockerd needs it)."""
    if os.geteuid() != 0:
        pytest.skip("dockerd needs root to run; these compatibility tests are skipped")


def docker_cli_for(dockerd: str) -> str | None:
    """Return the `docker` client that belongs to `dockerd`'s installation.

    The client installed next to the daemon (``/usr/sbin/dockerd`` -> ``/usr/bin/docker``) is
    preferred over whichever `docker` comes first on PATH: other clients format some output
    (e.g. `docker images --format json`) differently.
    """
    real = Path(dockerd).resolve()
    for candidate in (real.parent / "docker", real.parent.parent / "bin" / "docker"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return find_tool("docker")


def _mounts_under(root: Path) -> list[str]:
    """Mount points at or below `root`, deepest first."""
    prefix = str(root).rstrip("/")
    found: list[str] = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        fields = line.split()
        if len(fields) < 5:
            continue
        point = fields[4].encode().decode("unicode_escape")  # octal escapes such as \040
        if point == prefix or point.startswith(prefix + "/"):
            found.append(point)
    return sorted(set(found), key=len, reverse=True)


def remove_tree(root: Path) -> None:
    """Remove a daemon's directory tree robustly: unmount leftovers, fix modes, retry."""
    if not root.exists() and not root.is_symlink():
        return
    for point in _mounts_under(root):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)

    def fix_and_retry(func: Callable[..., Any], path: str, _exc: Any) -> None:
        parent = os.path.dirname(path)
        with contextlib.suppress(OSError):
            os.chmod(parent, stat.S_IRWXU)
        with contextlib.suppress(OSError):
            if not os.path.islink(path):
                os.chmod(path, stat.S_IRWXU)
        with contextlib.suppress(FileNotFoundError):
            func(path)

    for _attempt in range(3):
        shutil.rmtree(root, onerror=fix_and_retry)
        if not root.exists():
            return
        time.sleep(0.2)
    subprocess.run(["rm", "-rf", "--one-file-system", str(root)], capture_output=True, check=False)


def _pid_alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat_line.rpartition(")")[2].split()[:1] != ["Z"]


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


class PrivateDockerd:
    """A private `dockerd` (vfs storage, unix socket only) for the duration of a `with` block.

    Example:
        with PrivateDockerd() as d:
            d.load(archive)
            assert d.images_json()
    """

    def __init__(
        self,
        *,
        dockerd: str | None = None,
        docker: str | None = None,
        start_timeout: float = 60.0,
        stop_timeout: float = 30.0,
        command_timeout: float = 600.0,
    ) -> None:
        self.dockerd = dockerd or find_tool("dockerd") or "dockerd"
        self.docker = docker or docker_cli_for(self.dockerd) or "docker"
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.command_timeout = command_timeout
        self.startup_seconds: float | None = None
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # -- paths ---------------------------------------------------------------------------

    @property
    def workdir(self) -> Path:
        """The temporary directory holding everything the daemon writes."""
        if self._dir is None:
            raise RuntimeError("the private dockerd is not running")
        return self._dir

    @property
    def data_root(self) -> Path:
        """The daemon's ``--data-root`` (its on-disk image store lives in ``image/vfs``)."""
        return self.workdir / "root"

    @property
    def exec_root(self) -> Path:
        return self.workdir / "exec"

    @property
    def socket(self) -> Path:
        return self.workdir / "d.sock"

    @property
    def host(self) -> str:
        """The ``DOCKER_HOST`` value that reaches this daemon."""
        return f"unix://{self.socket}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "dockerd.log"

    @property
    def env(self) -> dict[str, str]:
        """A scrubbed environment for the `docker` CLI pointing at this daemon."""
        config = self.workdir / "client-config"
        return {
            "PATH": _search_path(),
            "HOME": str(self.workdir / "home"),
            "DOCKER_HOST": self.host,
            "DOCKER_CONFIG": str(config),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
        }

    def log_tail(self, lines: int = 40) -> str:
        """The last `lines` lines of the daemon's log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except (OSError, RuntimeError):
            return "(no daemon log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> PrivateDockerd:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the daemon and wait until `docker version` answers, or raise."""
        if self._proc is not None:
            raise RuntimeError("the private dockerd is already started")
        self._dir = Path(tempfile.mkdtemp(prefix="dyd-", dir="/tmp"))
        try:
            self._spawn()
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _spawn(self) -> None:
        work = self.workdir
        for sub in ("home", "client-config"):
            (work / sub).mkdir(mode=0o700)
        (work / "client-config" / "config.json").write_text("{}\n")
        # an explicit, empty config file keeps the host's /etc/docker/daemon.json out
        config_file = work / "daemon.json"
        config_file.write_text("{}\n")
        cmd = [
            self.dockerd,
            "--config-file", str(config_file),
            "--data-root", str(self.data_root),
            "--exec-root", str(self.exec_root),
            "--pidfile", str(work / "d.pid"),
            "--storage-driver=vfs",
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
            "--host", self.host,
        ]  # fmt: skip
        env = {"PATH": _search_path(), "HOME": str(work / "home"), "LANG": "C.UTF-8", "TZ": "UTC"}
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=work,
                start_new_session=True,
            )

    def _wait_ready(self) -> None:
        started = time.monotonic()
        deadline = started + self.start_timeout
        last = ""
        while True:
            proc = self._proc
            assert proc is not None
            if proc.poll() is not None:
                raise DockerdStartError(
                    f"dockerd exited with {proc.returncode} during start-up\n"
                    f"--- dockerd log (tail) ---\n{self.log_tail()}"
                )
            if self.socket.exists():
                try:
                    probe = subprocess.run(
                        [self.docker, "version", "--format", "{{.Server.Version}}"],
                        capture_output=True,
                        text=True,
                        env=self.env,
                        timeout=10,
                        check=False,
                    )
                except subprocess.TimeoutExpired:
                    last = "`docker version` timed out"
                else:
                    if probe.returncode == 0 and probe.stdout.strip():
                        self.startup_seconds = time.monotonic() - started
                        return
                    last = (probe.stderr or probe.stdout).strip()
            if time.monotonic() > deadline:
                raise DockerdStartError(
                    f"dockerd did not answer `docker version` within {self.start_timeout:.0f} s"
                    f" (last client error: {last or 'socket not created'})\n"
                    f"--- dockerd log (tail) ---\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def _containerd_pid(self) -> int | None:
        pidfile = self.exec_root / "containerd" / "containerd.pid"
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        # only a containerd that belongs to this daemon (its config sits in our exec root)
        if str(self.exec_root) in _cmdline(pid):
            return pid
        return None

    def stop(self) -> None:
        """Stop the daemon (SIGTERM, bounded wait, SIGKILL) and remove its directories."""
        proc, self._proc = self._proc, None
        containerd = self._containerd_pid() if self._dir is not None else None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(timeout=30)
        # dockerd runs containerd in a session of its own; make sure it went down with it
        if containerd is not None and _pid_alive(containerd):
            deadline = time.monotonic() + 10
            with contextlib.suppress(ProcessLookupError):
                os.kill(containerd, signal.SIGTERM)
            while _pid_alive(containerd) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _pid_alive(containerd):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(containerd, signal.SIGKILL)
        if self._dir is not None:
            remove_tree(self._dir)
            self._dir = None

    # -- the docker CLI ------------------------------------------------------------------

    def run(
        self,
        *args: str | os.PathLike[str],
        input: str | bytes | None = None,
        check: bool = True,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``docker ARGS`` against this daemon; output is decoded as UTF-8.

        Raises:
            DockerCommandError: `check` is true and the command exited non-zero.
        """
        cmd = [self.docker, *(os.fspath(a) for a in args)]
        data = input.encode() if isinstance(input, str) else input
        full_env = {**self.env, **(env or {})}
        proc = subprocess.run(
            cmd,
            input=data,
            stdin=None if data is not None else subprocess.DEVNULL,
            capture_output=True,
            env=full_env,
            timeout=timeout if timeout is not None else self.command_timeout,
            check=False,
        )
        result = subprocess.CompletedProcess(
            cmd,
            proc.returncode,
            proc.stdout.decode("utf-8", errors="surrogateescape"),
            proc.stderr.decode("utf-8", errors="surrogateescape"),
        )
        if check and result.returncode != 0:
            raise DockerCommandError(result.returncode, cmd, result.stdout, result.stderr)
        return result

    def load(self, path: str | os.PathLike[str], *, check: bool = True) -> str:
        """`docker load -i PATH`; returns what docker printed (stdout then stderr)."""
        res = self.run("load", "-i", path, check=check)
        return (res.stdout + res.stderr).strip()

    def save(
        self,
        names: str | Sequence[str],
        out_path: str | os.PathLike[str],
        *,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """`docker save -o OUT NAMES...`."""
        refs = [names] if isinstance(names, str) else list(names)
        return self.run("save", "-o", out_path, *refs, check=check)

    def inspect(self, name: str) -> dict[str, Any]:
        """`docker image inspect NAME`, the single object."""
        data = json.loads(self.run("image", "inspect", name).stdout)
        if not isinstance(data, list) or len(data) != 1 or not isinstance(data[0], dict):
            raise AssertionError(f"unexpected `docker image inspect {name}` output: {data!r}")
        return data[0]

    def inspect_many(self, names: Iterable[str]) -> list[dict[str, Any]]:
        """`docker image inspect NAMES...` in one call."""
        refs = list(names)
        if not refs:
            return []
        data = json.loads(self.run("image", "inspect", *refs).stdout)
        assert isinstance(data, list)
        return data

    def images_json(self) -> list[dict[str, Any]]:
        """`docker images -a --no-trunc --format '{{json .}}'`, one dict per row."""
        out = self.run("images", "-a", "--no-trunc", "--format", "{{json .}}").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def image_ids(self) -> list[str]:
        """Sorted, de-duplicated full IDs of every image (`docker images -aq --no-trunc`)."""
        return sorted(set(self.run("images", "-aq", "--no-trunc").stdout.split()))

    def history_json(self, name: str) -> list[dict[str, Any]]:
        """`docker history --no-trunc --format '{{json .}}' NAME`."""
        out = self.run("history", "--no-trunc", "--format", "{{json .}}", name).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def reset(self) -> None:
        """Remove every container, volume and image: the next test starts from an empty daemon."""
        containers = self.run("ps", "-aq", "--no-trunc").stdout.split()
        if containers:
            self.run("rm", "-f", "-v", *containers, check=False)
        volumes = self.run("volume", "ls", "-q").stdout.split()
        if volumes:  # e.g. left by a container of an image that declares a VOLUME
            self.run("volume", "rm", "-f", *volumes, check=False)
        # child images must go before their parents, so repeat until nothing is left
        last_error = ""
        for _round in range(10):
            ids = self.image_ids()
            if not ids:
                break
            res = self.run("rmi", "-f", *ids, check=False)
            last_error = res.stderr.strip()
        left = self.run("images", "-aq").stdout.split()
        if left:
            raise AssertionError(
                f"could not remove all images from the private dockerd: {left}\n{last_error}"
            )
