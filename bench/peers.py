"""Timed subprocesses and the operations being compared (limit, copy, Docker, skopeo, dockyard).

Every operation runs in its own session, started by a tiny launcher (the same interpreter with
``-I -S``) that spawns it, waits for it and reports its wall-clock time and its peak resident
set size from ``os.wait4`` (the kernel's ``ru_maxrss`` of the operation, which includes its
waited-for descendants). The launcher is there because Linux carries the peak RSS of the
process that forks into the child's ``ru_maxrss``: spawned from this (larger) Python process,
even ``/bin/true`` would report this process's own peak; spawned from the launcher, the floor
is the launcher's few MB. When the work is done by a daemon (`dockerd`), the daemon's own peak
is read from ``/proc/<pid>/status`` (``VmHWM``, reset through ``/proc/<pid>/clear_refs``
before the run) and added.

Each measured operation is followed by ``sync -f <output>`` (`syncfs` of the output's file
system), timed and added to the total, so tools that leave dirty pages behind pay for writing
them like tools that call `fsync` themselves.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

IMAGE_REF = "bench/big:1"

# Reads the archive and hashes it while a second thread has the kernel copy the same bytes into
# a new file (copy_file_range: no trip through user space), then fsyncs the copy: every byte
# is read, hashed and written once. This was faster and steadier here than a read/hash/write
# loop in Python (even with the hashing in its own thread) and than `tee | sha256sum` or
# `dd | tee | sha256sum` pipelines.
LIMIT_SCRIPT = r"""
import hashlib, os, sys, threading
src, dst = sys.argv[1], sys.argv[2]
sha = hashlib.sha256()
out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
with open(src, "rb", buffering=0) as f:
    size = os.fstat(f.fileno()).st_size
    def writer():
        off = 0
        while off < size:
            done = os.copy_file_range(f.fileno(), out, min(size - off, 1 << 30), off, off)
            if done <= 0:
                raise OSError("short copy")
            off += done
    t = threading.Thread(target=writer)
    t.start()
    buf = bytearray(1 << 20)
    while n := f.readinto(buf):
        sha.update(memoryview(buf)[:n])
    t.join()
os.fsync(out)
os.close(out)
if os.stat(dst).st_size != size:
    sys.exit("short copy")
print(sha.hexdigest())
"""


# Spawns the operation (argv[2:]), waits for it and writes "<wall seconds> <ru_maxrss KiB>" to
# the file descriptor argv[1]; exits with the operation's status (128 + signal if killed).
LAUNCHER = r"""
import os, sys, time
fd = int(sys.argv[1])
os.set_inheritable(fd, False)
cmd = sys.argv[2:]
start = time.perf_counter()
try:
    pid = os.posix_spawnp(cmd[0], cmd, os.environ)
except OSError as exc:
    os.write(fd, ("! " + str(exc)).encode())
    sys.exit(127)
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - start
os.write(fd, f"{elapsed!r} {usage.ru_maxrss}".encode())
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


class Unavailable(Exception):
    """The operation cannot run on this machine (the reason is the message)."""


class OpFailed(Exception):
    """The operation ran but failed or timed out (the reason is the message)."""


@dataclass
class Sample:
    """One timed run of an operation."""

    seconds: float
    rss_kib: int
    flush_seconds: float = 0.0
    daemon_rss_kib: int = 0
    cold: bool = False
    caches_dropped: bool = False
    output_bytes: int = 0

    @property
    def total_rss_kib(self) -> int:
        """Peak RSS of the client process tree plus the daemon's peak (if any)."""
        return self.rss_kib + self.daemon_rss_kib


def _kill_group(pid: int, fired: list[bool]) -> None:
    fired.append(True)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_timed(
    cmd: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    full_output: bool = False,
) -> tuple[float, int, str]:
    """Run ``cmd`` and return (wall seconds, peak RSS KiB of its tree, output).

    The output is stdout and stderr together: only the last 4,000 characters unless
    ``full_output`` is true.

    Raises:
        OpFailed: the command could not start, exited non-zero or ran out of time.
    """
    read_end, write_end = os.pipe()
    launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(write_end), *cmd]
    try:
        with tempfile.TemporaryFile() as log:
            try:
                proc = subprocess.Popen(
                    launcher,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=dict(env) if env is not None else None,
                    start_new_session=True,
                    pass_fds=(write_end,),
                )
            except OSError as exc:
                raise OpFailed(f"cannot start {cmd[0]}: {exc}") from exc
            finally:
                os.close(write_end)
            fired: list[bool] = []
            timer = threading.Timer(timeout, _kill_group, (proc.pid, fired))
            timer.start()
            try:
                _, status, _usage = os.wait4(proc.pid, 0)
            except BaseException:  # interrupted: do not leave the operation running
                _kill_group(proc.pid, fired)
                proc.wait()
                raise
            finally:
                timer.cancel()
            proc.returncode = os.waitstatus_to_exitcode(status)
            log.seek(0)
            raw = log.read()
            tail = (raw if full_output else raw[-4000:]).decode(errors="replace").strip()
        os.set_blocking(read_end, False)
        try:
            report = os.read(read_end, 4096).decode(errors="replace")
        except BlockingIOError:
            report = ""
    finally:
        os.close(read_end)
    if fired:
        raise OpFailed(f"timed out after {timeout:g} s")
    if report.startswith("!"):
        raise OpFailed(f"cannot start {cmd[0]}: {report[2:]}")
    if proc.returncode != 0:
        last = tail.splitlines()[-1] if tail else ""
        raise OpFailed(f"exit {proc.returncode}: {last[:160]}")
    try:
        seconds, rss = report.split()
        return float(seconds), int(rss), tail
    except ValueError:
        raise OpFailed(f"no report from the launcher of {cmd[0]}: {report[:80]!r}") from None


_DROP_STATE: list[bool] = []


def drop_caches() -> bool:
    """``sync; echo 3 > /proc/sys/vm/drop_caches``; returns False (silently) if not permitted."""
    if _DROP_STATE and not _DROP_STATE[0]:
        return False
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError:
        _DROP_STATE[:] = [False]
        return False
    _DROP_STATE[:] = [True]
    return True


def caches_droppable() -> bool:
    """Whether cold runs could drop the page cache (tries once if no run has tried yet)."""
    return _DROP_STATE[0] if _DROP_STATE else drop_caches()


def _reset_hwm(pid: int | None) -> None:
    if pid is not None:
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")


def _read_hwm(pid: int | None) -> int:
    if pid is None:
        return 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def sample_command(
    cmd: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    daemon_pid: int | None = None,
) -> tuple[Sample, str]:
    """Run one short command without cache drop or flush; returns the sample and its output.

    Raises:
        OpFailed: the command could not start, exited non-zero or ran out of time.
    """
    _reset_hwm(daemon_pid)
    seconds, rss, output = run_timed(cmd, timeout=timeout, env=env, full_output=True)
    return Sample(seconds=seconds, rss_kib=rss, daemon_rss_kib=_read_hwm(daemon_pid)), output


def measure(
    cmd: Sequence[str],
    output: Path,
    *,
    timeout: float,
    cold: bool,
    env: Mapping[str, str] | None = None,
    daemon_pid: int | None = None,
    count_output: bool = False,
) -> Sample:
    """Run one operation: optional cache drop, the timed command, then a timed flush.

    Args:
        cmd: The command line of the operation.
        output: File or directory the operation writes (flushed afterwards, and measured).
        timeout: Time bound of the command, in seconds.
        cold: Drop the page cache first (when permitted).
        env: Environment for the command (default: inherited).
        daemon_pid: Process doing the work on the command's behalf, if any.
        count_output: Record the size of ``output`` (walks it when it is a directory).

    Returns:
        The sample.
    """
    dropped = drop_caches() if cold else False
    _reset_hwm(daemon_pid)
    seconds, rss, _ = run_timed(cmd, timeout=timeout, env=env)
    daemon_rss = _read_hwm(daemon_pid)
    flush_target = output if output.exists() else output.parent
    flush, _, _ = run_timed(["sync", "-f", str(flush_target)], timeout=timeout)
    return Sample(
        seconds=seconds + flush,
        rss_kib=rss,
        flush_seconds=flush,
        daemon_rss_kib=daemon_rss,
        cold=cold,
        caches_dropped=dropped,
        output_bytes=tree_bytes(output) if count_output else 0,
    )


def tree_bytes(path: Path) -> int:
    """Bytes of a file, or of all regular files below a directory (0 if missing)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    if path.is_dir():
        for root, _dirs, files in os.walk(path):
            for name in files:
                with contextlib.suppress(OSError):
                    total += os.lstat(os.path.join(root, name)).st_size
    return total


def remove(path: Path) -> None:
    """Remove a file or directory tree if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


# -- references --------------------------------------------------------------------------


def limit_cmd(archive: Path, dest: Path) -> list[str]:
    """The disk-limit operation: read, sha256, write the same bytes, fsync."""
    return [sys.executable, "-c", LIMIT_SCRIPT, str(archive), str(dest)]


def copy_cmd(archive: Path, dest: Path) -> list[str]:
    """The plain copy (no reflinks, so every byte is really written)."""
    return ["cp", "--reflink=never", str(archive), str(dest)]


# -- skopeo ------------------------------------------------------------------------------


def skopeo_cmd(archive: Path, dest: Path) -> list[str]:
    """``skopeo copy docker-archive:<tar> oci:<dir>``.

    Raises:
        Unavailable: skopeo is not installed.
    """
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        raise Unavailable("skopeo not installed")
    return [skopeo, "--insecure-policy", "copy", "-q", f"docker-archive:{archive}", f"oci:{dest}"]


# -- dockyard ----------------------------------------------------------------------------


def dockyard_base() -> list[str]:
    """How the dockyard CLI is started (the module, avoiding any wrapper script's overhead)."""
    return [sys.executable, "-m", "dockyard"]


def dockyard_available(command: str, needles: Sequence[str]) -> str | None:
    """Return None when ``dockyard COMMAND --help`` documents ``needles``, else a reason."""
    try:
        _, _, out = run_timed([*dockyard_base(), command, "--help"], timeout=60)
    except OpFailed as exc:
        return f"`dockyard {command}` not available ({exc})"
    if f"dockyard {command}" not in out or not all(n in out for n in needles):
        return "not available"
    return None
