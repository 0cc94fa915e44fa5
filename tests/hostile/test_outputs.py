"""``save -o`` and ``export -o``: outputs are written, never replaced when they are special.

A new path or a regular file (also behind a symlink) is written atomically; a device node
or a FIFO is written through; a directory is a typed error; a reader that goes away ends
the command quietly with the status a shell gives ``cat`` killed by SIGPIPE (141).
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import tarfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import dockyard
from dockyard.archive.load import load
from dockyard.archive.save import save
from dockyard.cli import main
from dockyard.errors import InvalidArgumentError
from dockyard.service.export import export_image
from tests.hostile.builders import docker_archive, layer_tar

TAG = "crafted/out:1"
Writer = Callable[[dockyard.Client, Path], object]


def _save(client: dockyard.Client, path: Path) -> object:
    return save(client, [TAG], path)


def _export(client: dockyard.Client, path: Path) -> object:
    return export_image(client, TAG, path)


WRITERS = {"save": _save, "export": _export}


@pytest.fixture
def client(tmp_path: Path) -> dockyard.Client:
    store = dockyard.open(tmp_path / "store")
    layer = layer_tar({"data.bin": os.urandom(200_000), "hello.txt": b"hello\n"})
    load(store, io.BytesIO(docker_archive([layer], repo_tags=[TAG]).build()))
    return store


def _members(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.getnames()


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_device_node_is_written_through_not_replaced(
    client: dockyard.Client, tmp_path: Path, command: str
) -> None:
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root")
    null = os.makedev(1, 3)  # the numbers of /dev/null
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, null)
    try:
        os.close(os.open(device, os.O_WRONLY))
    except OSError as exc:
        pytest.skip(f"device nodes cannot be opened here ({exc.strerror}; a nodev mount?)")
    WRITERS[command](client, device)
    after = os.lstat(device)
    assert stat.S_ISCHR(after.st_mode)
    assert after.st_rdev == null
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null", "store"]


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_fifo_is_written_through(client: dockyard.Client, tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    try:
        WRITERS[command](client, fifo)
    finally:
        reader.join(timeout=60)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert _members(received[0])


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_symlink_is_written_through(client: dockyard.Client, tmp_path: Path, command: str) -> None:
    target = tmp_path / "real.tar"
    target.write_bytes(b"old content")
    link = tmp_path / "link.tar"
    link.symlink_to("real.tar")
    WRITERS[command](client, link)
    assert link.is_symlink()
    assert os.readlink(link) == "real.tar"
    assert _members(target.read_bytes())


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_dangling_symlink_creates_its_target(
    client: dockyard.Client, tmp_path: Path, command: str
) -> None:
    link = tmp_path / "link.tar"
    link.symlink_to("made.tar")
    WRITERS[command](client, link)
    assert link.is_symlink()
    assert _members((tmp_path / "made.tar").read_bytes())


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_regular_file_is_replaced_atomically(
    client: dockyard.Client, tmp_path: Path, command: str
) -> None:
    target = tmp_path / "out.tar"
    target.write_bytes(b"x" * 10_000_000)  # longer than the archive: nothing of it may stay
    inode = target.stat().st_ino
    WRITERS[command](client, target)
    assert target.stat().st_ino != inode  # a new file was renamed into place
    assert _members(target.read_bytes())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tar", "store"]


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_directory_is_a_typed_error(client: dockyard.Client, tmp_path: Path, command: str) -> None:
    directory = tmp_path / "dir"
    directory.mkdir()
    with pytest.raises(InvalidArgumentError, match="cannot write to a directory"):
        WRITERS[command](client, directory)
    assert list(directory.iterdir()) == []


@pytest.mark.parametrize("command", ["save", "export"])
def test_directory_on_the_command_line(
    client: dockyard.Client, tmp_path: Path, command: str
) -> None:
    """One error line naming the problem and a category's exit status: never a bug (70)."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["--root", str(client.root), command, "-o", str(tmp_path), TAG]
    assert main(argv, stdout=out, stderr=err) in (1, 2, 6)
    assert "cannot write to a directory" in err.getvalue()
    assert len(err.getvalue().splitlines()) == 1


@pytest.mark.parametrize("args", [["save"], ["save", "--format", "docker-legacy"],
                                  ["save", "--compress", "gzip"], ["export"]])
def test_closed_pipe_ends_quietly_with_sigpipe_status(
    client: dockyard.Client, args: list[str]
) -> None:
    """``dockyard save x | head -c 10``: no traceback, no error line, status 141 like cat."""
    command = [sys.executable, "-m", "dockyard", "--root", str(client.root), *args, "-q", TAG]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stderr is not None
    assert len(process.stdout.read(10)) == 10
    process.stdout.close()
    stderr = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=120) == 141
    assert stderr == b""
