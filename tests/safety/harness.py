"""Run the ``dockyard`` CLI as real processes, snapshot a store, and mount small filesystems.

Every command runs as ``python -m dockyard --root STORE …`` with a clean environment
(``DOCKYARD_ROOT`` unset, ``HOME`` a temp dir, ``TZ=UTC``) and this repository's ``src``
first on ``PYTHONPATH``, always with a timeout.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"
#: The wrapper that runs the CLI as another user (see its docstring).
AS_USER = Path(__file__).with_name("as_user.py")
#: Default bound of one command (generous: the machine may be busy).
TIMEOUT = 60.0
#: A bug, never an acceptable exit code for the failures these tests provoke.
EXIT_BUG = 70
#: "The store cannot be written."
EXIT_STORAGE = 6

Snapshot = dict[str, tuple[int, str]]


def clean_env(home: Path) -> dict[str, str]:
    """The environment of every child: nothing from the caller but ``PATH``."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TZ": "UTC",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": str(SRC),
    }


@dataclass
class Result:
    """What one command printed and returned."""

    args: list[str]
    code: int
    raw: bytes
    err: str
    seconds: float = 0.0

    @property
    def out(self) -> str:
        return self.raw.decode("utf-8", "replace")

    def describe(self) -> str:
        return f"{self.args}: exit {self.code}\nstdout: {self.out!r}\nstderr: {self.err!r}"

    def ok(self) -> Result:
        assert self.code == 0, self.describe()
        return self

    def error_line(self) -> str:
        """The one error line a failure must print (asserted), without newline.

        ``Error: …``, or the bare line the Docker CLI prints for the errors it finds itself
        (``open x: no such file or directory``, ``Error parsing reference: …``, a load's
        ``unexpected EOF``).
        """
        assert "Traceback" not in self.err, self.describe()
        lines = self.err.splitlines()
        assert len(lines) == 1, f"expected exactly one stderr line\n{self.describe()}"
        assert not lines[0].startswith("Error: unexpected "), self.describe()
        assert self.err.endswith("\n"), self.describe()
        return lines[0]


@dataclass
class Dockyard:
    """``python -m dockyard --root ROOT`` as a child process (optionally as another user)."""

    root: Path
    home: Path
    #: (uid, gid) to run as, through ``as_user.py``; None: as the caller.
    user: tuple[int, int] | None = None

    def argv(self, args: tuple[str | os.PathLike[str], ...]) -> list[str]:
        prefix = [sys.executable, "-m", "dockyard"]
        if self.user is not None:
            prefix = [sys.executable, str(AS_USER), *map(str, self.user)]
        return [*prefix, "--root", str(self.root), *map(str, args)]

    def _kwargs(self) -> dict[str, Any]:
        return {"env": clean_env(self.home), "cwd": self.home}

    def __call__(
        self, *args: str | os.PathLike[str], input: bytes = b"", timeout: float = TIMEOUT
    ) -> Result:
        argv = self.argv(args)
        shown = [str(a) for a in args]
        start = time.monotonic()
        try:
            done = subprocess.run(
                argv, input=input, capture_output=True, timeout=timeout, check=False,
                **self._kwargs(),
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"{shown} did not finish within {timeout:g} s")
        err = done.stderr.decode("utf-8", "replace")
        return Result(shown, done.returncode, done.stdout, err, time.monotonic() - start)

    def probe(self) -> Result:
        """``as_user.py UID GID --probe``: who the wrapper runs as, and which dockyard."""
        assert self.user is not None
        argv = [sys.executable, str(AS_USER), *map(str, self.user), "--probe"]
        done = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, check=False,
                              **self._kwargs())
        return Result(["--probe"], done.returncode, done.stdout, done.stderr.decode())

    def popen(self, *args: str | os.PathLike[str], stdin: Any = None) -> subprocess.Popen[bytes]:
        """Start a command without waiting (the caller must wait for or kill it)."""
        return subprocess.Popen(
            self.argv(args), stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **self._kwargs(),
        )

    def at(self, root: Path) -> Dockyard:
        return Dockyard(root, self.home, self.user)


def finish(proc: subprocess.Popen[bytes], timeout: float = TIMEOUT) -> tuple[bytes, bytes]:
    """Wait for ``proc`` (killing it on timeout) and close its pipes."""
    if proc.stdin is not None and proc.stdin.closed:
        proc.stdin = None  # closed by the caller: communicate() must not flush it
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate(timeout=30)
        pytest.fail(f"{proc.args!r} did not finish within {timeout:g} s: {err!r}")


# --- snapshots ----------------------------------------------------------------------------


def snapshot(root: Path) -> Snapshot:
    """{relative path: (st_mode, sha256 of the content or link target)} of everything under
    ``root`` (the root itself as ``.``), except ``tmp/`` and what is in it."""
    found: Snapshot = {}
    for top, dirs, files in os.walk(root):
        rel_top = os.path.relpath(top, root)
        if rel_top == ".":
            dirs[:] = [d for d in dirs if d != "tmp"]
            files = [f for f in files if f != "tmp"]
        found[rel_top] = (os.lstat(top).st_mode, "")
        for name in [*files, *(d for d in dirs if os.path.islink(os.path.join(top, d)))]:
            path = os.path.join(top, name)
            rel = os.path.normpath(os.path.join(rel_top, name))
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                found[rel] = (st.st_mode, hashlib.sha256(os.readlink(path).encode()).hexdigest())
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as handle:
                    found[rel] = (st.st_mode, hashlib.file_digest(handle, "sha256").hexdigest())
            else:
                found[rel] = (st.st_mode, "")
    return found


def differences(before: Snapshot, after: Snapshot) -> list[str]:
    """Human-readable differences between two snapshots (empty when equal)."""
    out = []
    for path in sorted(before.keys() | after.keys()):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        if old is None:
            out.append(f"added {path}")
        elif new is None:
            out.append(f"removed {path}")
        else:
            what = "mode" if old[0] != new[0] else "content"
            out.append(f"{what} changed: {path} ({old[0]:o} {old[1][:12]} -> "
                       f"{new[0]:o} {new[1][:12]})")
    return out


def assert_unchanged(root: Path, before: Snapshot, context: str = "") -> None:
    diff = differences(before, snapshot(root))
    assert not diff, f"the store changed{context}:\n" + "\n".join(diff)


def assert_failed_cleanly(
    result: Result, root: Path, before: Snapshot, *, code: int | None = None,
    contains: str | None = None,
) -> str:
    """Rules 1 and 2: a non-zero exit that is not a bug, one ``Error:`` line, nothing
    changed in the store outside ``tmp/``. Returns the error line."""
    assert result.code != 0, f"expected a failure\n{result.describe()}"
    assert result.code != EXIT_BUG, result.describe()
    if code is not None:
        assert result.code == code, result.describe()
    line = result.error_line()
    if contains is not None:
        assert contains in line, result.describe()
    assert_unchanged(root, before, f" after {result.args} failed ({line})")
    return line


# --- mounts -------------------------------------------------------------------------------


def require_root(why: str) -> None:
    if os.geteuid() != 0:
        pytest.skip(f"{why} needs root")
    if shutil.which("mount") is None or shutil.which("umount") is None:
        pytest.skip(f"{why} needs mount(8) and umount(8)")


def _mount(*args: str, what: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30,
                          check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot {what}: {done.stderr.strip() or done.returncode}")


def unmount(path: Path) -> None:
    """Unmount ``path``; lazily when it is still busy (never leaves a mount behind)."""
    done = subprocess.run(["umount", str(path)], capture_output=True, timeout=30, check=False)
    if done.returncode != 0 and os.path.ismount(path):
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30,
                       check=True)


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "16m") -> Iterator[Path]:
    """A small tmpfs mounted at ``path`` (created), unmounted afterwards."""
    require_root("mounting a tmpfs")
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path),
           what=f"mount a {size} tmpfs")
    try:
        yield path
    finally:
        unmount(path)


@contextlib.contextmanager
def read_only_view(source: Path, path: Path) -> Iterator[Path]:
    """``source`` bind-mounted read-only at ``path`` (created), unmounted afterwards."""
    require_root("a read-only bind mount")
    path.mkdir(parents=True, exist_ok=True)
    _mount("--bind", str(source), str(path), what="bind-mount the store")
    try:
        _mount("-o", "remount,bind,ro", str(path), what="remount the bind mount read-only")
        try:
            (path / ".probe").write_bytes(b"")
        except OSError as exc:
            if exc.errno != errno.EROFS:
                raise
        else:
            (path / ".probe").unlink()
            pytest.skip("the bind mount is not read-only")
        yield path
    finally:
        unmount(path)


def fill(directory: Path) -> Path:
    """Fill the filesystem of ``directory`` until not one more byte fits; return the filler."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            chunk = b"\xa5" * size
            while True:
                try:
                    if os.write(fd, chunk) == 0:
                        break
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    free = os.statvfs(directory).f_bavail
    assert free == 0, f"the filesystem still has {free} free blocks"
    return filler
